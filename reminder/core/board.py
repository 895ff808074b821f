"""The console's view of a campaign: its occurrences with their state, and one occurrence's
messages. Reads only; the state is worked out from the store and the approvals without
rendering every message (the fingerprint is checked when the occurrence is opened, and again
before anything is sent)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from reminder.core import approval
from reminder.planning.occurrences import occurrences
from reminder.status import Status
from reminder.store import Approval

if TYPE_CHECKING:
    from reminder.core.app import App

#: The states an occurrence is shown in.
STATES = (
    "pending",
    "awaiting_approval",
    "approved",
    "sending",
    "done",
    "expired",
    "canceled",
)


@dataclass(frozen=True)
class OccurrenceRow:
    """One date of a campaign: its pushes, the earliest time one fires, how many messages are in
    each status, its state and the approval that concerns it (newest first)."""

    campaign: str
    day: date
    at: datetime
    pushes: list[str]
    counts: Counter[str]
    state: str
    approval: Approval | None = None
    approvals: list[Approval] = field(default_factory=list)


def relevant(approvals: list[Approval], day: date) -> list[Approval]:
    """The approvals (newest first) of the date or of its year."""
    return [a for a in approvals if a.day == day or a.year == day.year]


def state_of(
    counts: Counter[str], approvals: list[Approval], required: bool, due: bool
) -> tuple[str, Approval | None]:
    """The state of an occurrence, and the approval that decides it."""
    granted = next((a for a in approvals if a.status == "approved"), None)
    newest = approvals[0] if approvals else None
    if counts:
        if counts.get(Status.sending.value) or (due and counts.get(Status.planned.value)):
            return "sending", granted
        if not any(counts.get(s.value) for s in (Status.planned, Status.unknown)):
            for final in ("expired", "canceled"):
                if set(counts) == {final}:
                    return final, granted or newest
            return "done", granted or newest
    if not required:
        return "pending", None
    if granted is not None:
        return "approved", granted
    if due or (newest is not None and newest.status == "requested"):
        return "awaiting_approval", newest
    return "pending", newest


def board(app: App, campaign_id: str, first: date, last: date) -> list[OccurrenceRow]:
    """Every date from `first` to `last` on which a push of the campaign fires."""
    campaign = app.project.campaign(campaign_id)
    zone = app.project.timezone(campaign)
    fires: dict[date, list[tuple[datetime, str]]] = {}
    for push in campaign.pushes:
        for occurrence in occurrences(campaign, push, zone, first, last):
            fires.setdefault(occurrence.day, []).append((occurrence.at, push.id))
    approvals = app.store.approvals(campaign_id)
    required = approval.required(app, campaign_id)
    now = app.clock.now()
    every = app.store.daily_status_counts(campaign_id, min(fires, default=first), last)
    rows = []
    for day in sorted(fires):
        at = min(t for t, _ in fires[day])
        counts = every.get(day, Counter())
        mine = relevant(approvals, day)
        state, decisive = state_of(counts, mine, required, at <= now)
        pushes = [p for _, p in sorted(fires[day])]
        rows.append(OccurrenceRow(campaign_id, day, at, pushes, counts, state, decisive, mine))
    return rows
