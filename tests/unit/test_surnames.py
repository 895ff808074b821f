"""Surnames of readers and of cases' subjects (`reminder.inputs.surnames`)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reminder.inputs.cases import Case
from reminder.inputs.surnames import subject_surnames, surname_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("某局处长朱某的配偶收受请托人所送名贵首饰，朱某事后得知未退还。", {"朱"}),
        ("某县原副县长欧阳某在春节假期接受企业安排打高尔夫球。", {"欧阳"}),
        ("某区司马某违规。", {"司马"}),
        ("某单位副局长孙某违规饮酒。", {"孙"}),  # 局长 + 孙某, not 长孙
        ("某公司马某违规。", {"马"}),  # 公司 + 马某, not 司马
        ("某局科员张某某收受红包。", {"张"}),
        ("张某和李某在某地违规聚餐。", {"张", "李"}),
        ("在某单位，向某企业索要财物。", set()),
        ("某事业单位违规发放津贴补贴。", set()),
    ],
)
def test_subject_surnames(text: str, expected: set[str]) -> None:
    assert subject_surnames(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("朱平", "朱"), ("欧阳修文", "欧阳"), ("欧阳", "欧"), ("司马光", "司马"), ("Li Wei", None)],
)
def test_surname_of(name: str, expected: str | None) -> None:
    assert surname_of(name) == expected


def test_a_declared_surname_overrides_the_words() -> None:
    case = Case(id="k1", title="t", summary="某局处长朱某违规。", year=2024, subject_surname="欧阳")
    assert case.surnames == {"欧阳"}
    listed = Case(id="k2", title="t", summary="s", year=2024, subject_surname=["王", "李"])
    assert listed.surnames == {"王", "李"}
    assert Case(id="k3", title="t", summary="某局朱某", year=2024).surnames == {"朱"}


@pytest.mark.parametrize("bad", ["", "Li", "欧阳修文", 3])
def test_a_declared_surname_must_be_one_or_two_chinese_characters(bad: object) -> None:
    with pytest.raises(ValidationError):
        Case(id="k1", title="t", summary="s", year=2024, subject_surname=bad)
