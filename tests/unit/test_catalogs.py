"""The catalogs keep up with the code: every message marked for translation has a zh-CN
translation, and no translation drops, renames or adds a placeholder."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from reminder import i18n

PACKAGE = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def marked() -> dict[str | tuple[str, ...], list[str]]:
    """Every message marked in the package, with where."""
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2")],
        keywords=KEYWORDS,
    ):
        found.setdefault(message, []).append(f"{filename}:{line}")
    return found


def zh_cn() -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    path = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "reminder.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_marked_message_has_a_chinese_translation() -> None:
    catalog = zh_cn()
    missing = [
        f"{where[0]}: {message!r}"
        for message, where in marked().items()
        if not catalog.get(message)
    ]
    assert not missing, "no zh-CN translation:\n" + "\n".join(missing)


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for message, translation in zh_cn().items():
        sources = message if isinstance(message, tuple) else (message,)
        targets = translation if isinstance(translation, tuple) else (translation,)
        expected = set().union(*(placeholders(s) for s in sources))
        for target in targets:
            if target and placeholders(target) != expected:
                wrong.append(f"{message!r} → {target!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_language_follows_the_config_then_the_locale(monkeypatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.use_language(None) == "zh-CN"
    assert i18n.use_language("en") == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert i18n.use_language(None) == "en"
    assert i18n.normalise_language("fr_FR") is None
