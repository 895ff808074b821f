"""Message statuses and the forward-only rule (ARCHITECTURE.md invariant 3).

    planned ──► sending ──► unknown ──► sent ──► delivered
       │           │           │          └────► undelivered / failed
       │           ├───────────┴────────────────► failed
       │           └──► skipped (per-number cap)
       ├──► skipped (suppressed, opted out)
       ├──► expired (the daemon missed the occurrence by more than the grace period)
       └──► canceled (by an operator)

`unknown`: the process died, or the provider did not answer, after the request may have left;
it is resolved by asking the provider (reconciliation) or by an operator. Receipts and the
dispatcher only ever move a message forward. Three moves back to `planned` exist, each recorded
as an event and none caused by a receipt: a dispatcher releasing messages it claimed but never
sent, reconciliation finding that the provider never received one, and an operator's
`reminder retry`.
"""

from __future__ import annotations

from enum import StrEnum

from reminder.i18n import N_, _


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
    canceled = "canceled"
    unknown = "unknown"


#: The word a person reads for each status (the glossary's), translated where shown (`label`).
LABELS: dict[Status, str] = {
    Status.planned: N_("planned"),
    Status.sending: N_("sending"),
    Status.sent: N_("sent"),
    Status.delivered: N_("delivered"),
    Status.undelivered: N_("undelivered"),
    Status.failed: N_("failed"),
    Status.skipped: N_("skipped"),
    Status.expired: N_("expired"),
    Status.canceled: N_("canceled"),
    Status.unknown: N_("unknown"),
}


def label(status: str) -> str:
    """A status as a person reads it, in the current language (an unknown name as it is)."""
    try:
        return _(LABELS[Status(status)])
    except ValueError:
        return status


_STAGE: dict[Status, int] = {
    Status.planned: 0,
    Status.sending: 1,
    Status.unknown: 2,
    Status.sent: 3,
    Status.delivered: 4,
    Status.undelivered: 4,
    Status.failed: 4,
    Status.skipped: 4,
    Status.expired: 4,
    Status.canceled: 4,
}

FINAL = frozenset(s for s, stage in _STAGE.items() if stage == 4)

#: Statuses an operator or a reconciliation may put back to `planned` (see the module docstring).
REQUEUABLE = frozenset({Status.sending, Status.unknown, Status.failed})


def can_move(old: Status, new: Status) -> bool:
    """True when a message may go from `old` to `new`: strictly forward, never out of a final."""
    return _STAGE[new] > _STAGE[old]
