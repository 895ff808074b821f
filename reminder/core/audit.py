"""The audit trail: every action that matters, who did it and when, in a hash chain
(`reminder.store.chain`) that `verify` checks from the first entry to the newest.

Only the newest entry can be removed without breaking the chain; write its hash down somewhere
else now and then (`reminder audit verify` prints it) and that is caught too.
"""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reminder.store import AuditEntry
from reminder.store.chain import entry_hash, first_broken

if TYPE_CHECKING:
    from reminder.core.app import App


@dataclass(frozen=True)
class Verification:
    """What `verify` found: how many entries, the newest hash, and the first bad entry with
    the reason (None when the chain holds)."""

    entries: int
    newest_hash: str | None
    broken: AuditEntry | None = None
    reason: str = ""


def default_actor() -> str:
    """Who runs this process, for actions taken at a command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def record(app: App, actor: str, action: str, subject: str, **details: Any) -> AuditEntry:
    """Append one entry."""
    return app.store.append_audit(app.clock.now(), actor, action, subject, details)


def _same(entry: AuditEntry, checked: AuditEntry) -> bool:
    """Whether `entry` is still the entry checked before, content and links."""
    return (entry.id, entry.hash, entry.prev_hash) == (
        checked.id,
        checked.hash,
        checked.prev_hash,
    ) and entry_hash(entry, entry.prev_hash) == entry.hash


def verify(app: App) -> Verification:
    """Check the whole chain, oldest entry first."""
    entries = app.store.audit_entries()
    found = first_broken(entries)
    newest = entries[-1].hash if entries else None
    if found is None:
        return Verification(len(entries), newest)
    return Verification(len(entries), newest, found[0], found[1])


#: How often `Watch` checks the whole chain again; in between, only the entries added since.
FULL_CHECK_EVERY = timedelta(minutes=5)


class Watch:
    """The chain as a page shows it at every view: checked whole at the first look and again
    every `FULL_CHECK_EVERY`, and in between only from the newest entry it checked (which
    must still be there, unchanged, with as many entries before it). A whole check reads every
    entry — too slow for every view of a long trail; `reminder audit verify` always does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: tuple[datetime, int, AuditEntry] | None = None

    def verify(self, app: App) -> Verification:
        """The chain's state now (see the class docstring)."""
        now = app.clock.now()
        with self._lock:
            checked = self._checked
        if checked is not None and now - checked[0] < FULL_CHECK_EVERY:
            found = self._since(app, checked[1], checked[2])
            if found is not None:
                return found
        whole = verify(app)
        entries = app.store.audit_entries(newest=1) if whole.broken is None else []
        with self._lock:
            self._checked = (now, whole.entries, entries[-1]) if entries else None
        return whole

    def _since(self, app: App, count: int, newest: AuditEntry) -> Verification | None:
        """The state from `newest` on, or None when that cannot tell (then check it whole)."""
        added = app.store.audit_count() - count
        if added < 0:
            return None
        entries = app.store.audit_entries(newest=added + 1)
        if not entries or not _same(entries[0], newest) or first_broken(entries[1:], newest):
            return None
        with self._lock:
            if self._checked is not None:
                self._checked = (self._checked[0], count + added, entries[-1])
        return Verification(count + added, entries[-1].hash)
