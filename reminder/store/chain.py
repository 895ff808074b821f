"""The audit trail's hash chain: each entry's hash is SHA-256 over the previous entry's hash and
this entry's canonical content, so deleting, inserting or editing any entry but the newest breaks
every hash after it (`first_broken`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from reminder.store.records import AuditEntry

#: The previous hash of the first entry.
GENESIS = "0" * 64


def canonical(
    entry_id: int, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
) -> str:
    """The content an entry's hash covers, as one canonical JSON text."""
    return json.dumps(
        {
            "id": entry_id,
            "at": at.astimezone(UTC).isoformat(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def link(prev_hash: str, content: str) -> str:
    """The hash of an entry whose predecessor's hash is `prev_hash`."""
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """What `entry.hash` must be when its predecessor's hash is `prev_hash`."""
    assert entry.id is not None
    content = canonical(
        entry.id, entry.at, entry.actor, entry.action, entry.subject, dict(entry.details)
    )
    return link(prev_hash, content)


def first_broken(
    entries: Iterable[AuditEntry], after: AuditEntry | None = None
) -> tuple[AuditEntry, str] | None:
    """The first entry (oldest first) that does not follow from the ones before, and why; None
    when the whole chain holds. With `after`, `entries` continue the chain from that entry
    (checked before)."""
    prev_hash = after.hash if after is not None else GENESIS
    prev_id = after.id or 0 if after is not None else 0
    for entry in entries:
        assert entry.id is not None
        if entry.prev_hash != prev_hash:
            return entry, "its previous hash does not match the entry before it"
        if entry.hash != entry_hash(entry, prev_hash):
            return entry, "its content does not match its hash"
        if entry.id != prev_id + 1:
            return entry, f"entries {prev_id + 1} to {entry.id - 1} are missing"
        prev_hash, prev_id = entry.hash, entry.id
    return None
