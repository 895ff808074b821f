"""The audit trail: every action that matters, who did it and when, in a hash chain
(`reminder.store.chain`) that `verify` checks from the first entry to the newest.

Only the newest entry can be removed without breaking the chain; write its hash down somewhere
else now and then (`reminder audit verify` prints it) and that is caught too.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reminder.store import AuditEntry
from reminder.store.chain import first_broken

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


def verify(app: App) -> Verification:
    """Check the whole chain, oldest entry first."""
    entries = app.store.audit_entries()
    found = first_broken(entries)
    newest = entries[-1].hash if entries else None
    if found is None:
        return Verification(len(entries), newest)
    return Verification(len(entries), newest, found[0], found[1])
