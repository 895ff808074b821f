"""Counted nouns the commands share, right in each language's plural forms ("1 message",
"2 messages"; Chinese has one form)."""

from __future__ import annotations

from reminder.i18n import ngettext


def messages(count: int) -> str:
    """`count` messages."""
    return ngettext("{count} message", "{count} messages", count).format(count=count)


def segments(count: int) -> str:
    """`count` SMS segments."""
    return ngettext("{count} segment", "{count} segments", count).format(count=count)
