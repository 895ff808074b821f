"""Surnames: a reader's, from their name, and a case's subject's, from its words.

A case summary names its subject the way published disciplinary notices do: a surname and 某
("朱某", "欧阳某", "张某某"). Sending a case about "朱某" to a cadre surnamed 朱 reads as an
accusation, so planning keeps such cases from such readers (`reminder.planning.rotation`).

Compound surnames (欧阳, 司马, …) are recognised from `COMPOUND_SURNAMES`. Where a compound's
first character also ends a word before the name — "副局长孙某" is 孙, not 长孙; "某公司马某" is
马, not 司马 — the single surname is taken (`TITLE_WORDS`).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Two-character surnames (the compound surnames of the 百家姓, and a few common others).
COMPOUND_SURNAMES = _words(
    """
    欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫
    宗政 濮阳 公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官
    司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延
    东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖
    第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚 褚师 吴铭 纳兰 完颜 富察
    """
)

#: Words a compound surname's first character may end ("局长" in "副局长孙某"): before such a
#: word the single surname is meant.
TITLE_WORDS = _words(
    """
    局长 处长 科长 县长 市长 区长 镇长 乡长 厂长 院长 校长 所长 站长 组长 部长 社长 行长
    股长 队长 馆长 庭长 室长 班长 团长 省长 村长 事长 公司 上司 官司
    """
)

#: Characters that come before 某 without being a surname: "在某地", "向某企业", "某某".
NOT_SURNAMES = frozenset("在对向与和及给被将把从为由是有于经让替帮请使令到自至以等某其该各每一")


def is_han(character: str) -> bool:
    """Whether `character` is a Chinese character (CJK unified ideographs, extension A, and
    the compatibility ideographs)."""
    return (
        "\u4e00" <= character <= "\u9fff"
        or "\u3400" <= character <= "\u4dbf"
        or "\uf900" <= character <= "\ufaff"
    )


def surname_of(name: str) -> str | None:
    """The surname in a Chinese personal name (a compound one when the name starts with one);
    None for a name that does not start with a Chinese character."""
    if not name or not is_han(name[0]):
        return None
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def subject_surnames(text: str) -> frozenset[str]:
    """Every surname `text` names as "X某" (or "X某某")."""
    found = set()
    for index, character in enumerate(text):
        if character != "某" or index == 0:
            continue
        before = text[index - 1]
        if before in NOT_SURNAMES or not is_han(before):
            continue
        pair = text[index - 2 : index] if index >= 2 else ""
        if pair in COMPOUND_SURNAMES and text[index - 3 : index - 1] not in TITLE_WORDS:
            found.add(pair)
        else:
            found.add(before)
    return frozenset(found)
