"""Message statuses and the forward-only rule (ARCHITECTURE.md invariant 3).

planned ──► sending ──► sent ──► delivered
   │           │          └────► undelivered / failed
   │           └──────────────► failed
   ├──► skipped
   └──► expired   (the daemon missed the occurrence by more than the grace period)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where one message is in its life."""

    planned = "planned"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    undelivered = "undelivered"
    failed = "failed"
    skipped = "skipped"
    expired = "expired"


_STAGE: dict[Status, int] = {
    Status.planned: 0,
    Status.sending: 1,
    Status.sent: 2,
    Status.delivered: 3,
    Status.undelivered: 3,
    Status.failed: 3,
    Status.skipped: 3,
    Status.expired: 3,
}

FINAL = frozenset(s for s, stage in _STAGE.items() if stage == 3)


def can_move(old: Status, new: Status) -> bool:
    """True when a message may go from `old` to `new`: strictly forward, never out of a final."""
    return _STAGE[new] > _STAGE[old]
