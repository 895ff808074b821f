"""The words a person reads, in their language: gettext catalogs (zh-CN and English).

Messages are written in English in the code, marked `_("…")` (or `ngettext` for counts) and
looked up in `reminder/locale/<lang>/LC_MESSAGES/reminder.po`, read with Babel when first
needed (no compiled `.mo` file to forget). The language is the config's `language:`, else
`REMINDER_LANGUAGE`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), else English;
`use_language` sets it for the process. `--help` is translated when shown, so it follows the
same rule (the config is read for a sub-command's help; `reminder --help` alone reads none).
Placeholders are named (`_("{count} sent").format(count=n)`), so a translation may reorder
them; a test fails when a translation drops or renames one, or when a marked message has no
zh-CN translation. Command names, options and JSON keys stay English: scripts depend on them.

`N_("…")` marks a message for extraction where it is defined (a constant, a table heading)
and `_()` translates it where it is shown.

Terms follow the field's own usage (glossary: `reminder/locale/glossary.yaml`).
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "reminder"
#: The languages with a catalog, by the code a config writes.
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
DEFAULT = "en"

_current: list[str] = []


def normalise_language(code: str | None) -> str | None:
    """`zh-CN`, `zh_CN.UTF-8`, `zh` → `zh-CN`; `en_US` → `en`; anything else → None."""
    if not code:
        return None
    text = code.split(".")[0].split("@")[0].replace("_", "-").lower()
    if text.startswith("zh"):
        return "zh-CN"
    if text.startswith("en") or text in ("c", "posix"):
        return "en"
    return None


def from_environment() -> str | None:
    """The language `REMINDER_LANGUAGE` or else the locale variables name, if any we have."""
    for name in ("REMINDER_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalise_language(os.environ.get(name))
        if found:
            return found
    return None


def use_language(code: str | None) -> str:
    """Speak `code` from now on (None: the locale's, else English); returns the one chosen."""
    chosen = normalise_language(code) or from_environment() or DEFAULT
    _current[:] = [chosen]
    return chosen


def current_language() -> str:
    """The language messages are shown in now."""
    if not _current:
        use_language(None)
    return _current[0]


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of one language, read from its `.po` file."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / LANGUAGES[language] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=LANGUAGES[language])
    table: dict[object, str] = {}
    for message in messages:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            for index, form in enumerate(message.string):
                table[(message.id[0], index)] = form
        else:
            table[message.id] = str(message.string)
    return _Table(table, messages.plural_expr)


class _Table(gettext.NullTranslations):
    """Translations from a dictionary (what `GNUTranslations` builds from a `.mo` file)."""

    def __init__(self, table: dict[object, str], plural_expr: str) -> None:
        super().__init__()
        self.table = table
        self.plural = gettext.c2py(plural_expr) if plural_expr else (lambda n: int(n != 1))

    def gettext(self, message: str) -> str:
        found = self.table.get(message)
        return found if isinstance(found, str) else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.table.get((singular, self.plural(n)))
        if isinstance(found, str):
            return found
        return singular if n == 1 else plural


def _(message: str) -> str:
    """`message` in the current language."""
    return catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message right for `n` in the current language."""
    return catalog(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where shown (`_(message)`)."""
    return message
