"""The calendar of upcoming occurrences behind `reminder schedule`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime

from reminder.i18n import N_
from reminder.inputs.project import Project
from reminder.planning.drafts import tally_push
from reminder.planning.history import CaseSource
from reminder.planning.occurrences import Occurrence, occurrences
from reminder.status import Status
from reminder.store import Selection, Store

#: Where an occurrence stands, as the store holds it (`AgendaRow.state`), and the words a
#: person reads for each, translated where shown.
DONE, PARTLY_DONE, PENDING, EXPIRED, AWAITING_APPROVAL = (
    "done",
    "partly_done",
    "pending",
    "expired",
    "awaiting_approval",
)
STATE_LABELS = {
    DONE: N_("done"),
    PARTLY_DONE: N_("partly done"),
    PENDING: N_("pending"),
    EXPIRED: N_("expired"),
    AWAITING_APPROVAL: N_("awaiting approval"),
}
#: Statuses of a message not dispatched yet.
_WAITING = (Status.planned, Status.sending)
#: Statuses of a message that will never go.
_DROPPED = (Status.expired, Status.canceled)


@dataclass(frozen=True)
class AgendaRow:
    """One occurrence as staff check it before a festival."""

    occurrence: Occurrence
    timezone: str
    audience: int
    segments: int
    state: str = PENDING

    def as_json(self) -> dict[str, object]:
        """The row as the JSON object `reminder schedule --json` prints."""
        o = self.occurrence
        return {
            "campaign": o.campaign,
            "push": o.push,
            "date": o.day.isoformat(),
            "time": o.at.strftime("%H:%M"),
            "timezone": self.timezone,
            "audience": self.audience,
            "segments": self.segments,
            "provisional": o.provisional,
            "state": self.state,
            "window": {"start": o.window.start.isoformat(), "end": o.window.end.isoformat()},
        }


def agenda(
    project: Project,
    first: date,
    last: date,
    campaign_id: str | None = None,
    *,
    store: Store | None = None,
    today: date | None = None,
    missed_before: datetime | None = None,
) -> list[AgendaRow]:
    """Every occurrence from `first` to `last`, in time order, with audience and segments; the
    cases chosen from what each person read (`store`) and will have read by then (from
    `today`), as planning will choose them. An occurrence with nothing in the store whose time
    is before `missed_before` (now less the daemon's grace) is shown expired: the daemon would
    no longer send it."""
    rows = []
    cases = CaseSource(project, store, today)
    ids = [campaign_id] if campaign_id else sorted(project.campaigns)
    for cid in ids:
        campaign = project.campaign(cid)
        zone = project.timezone(campaign)
        held = stored(store, Selection(cid, since=first, until=last))
        for push in campaign.pushes:
            for occurrence in occurrences(campaign, push, zone, first, last):
                tally = tally_push(project, cid, push, occurrence.window, occurrence.day, cases)
                row = AgendaRow(occurrence, zone, tally.messages, tally.segments)
                counts = held.get((occurrence.push, occurrence.day), Counter())
                rows.append(replace(row, state=state_of(row, counts, missed_before)))
    return sorted(rows, key=lambda r: (r.occurrence.at, r.occurrence.campaign, r.occurrence.push))


def stored(store: Store | None, selection: Selection) -> dict[tuple[str, date], Counter[str]]:
    """How many messages of each push and date of `selection` the store holds per status."""
    found: dict[tuple[str, date], Counter[str]] = {}
    for count in store.outcome_counts(selection) if store is not None else []:
        found.setdefault((count.push, count.occurrence), Counter())[count.status] += count.count
    return found


def state_of(row: AgendaRow, counts: Counter[str], missed_before: datetime | None) -> str:
    """Where one occurrence stands: nothing in the store yet (pending, or expired once its time
    is before `missed_before`: past the daemon's grace), every message dispatched (done), some
    of them (partly done), or none ever will be (expired: missed, or canceled)."""
    total = sum(counts.values())
    waiting = sum(counts[s] for s in _WAITING)
    dropped = sum(counts[s] for s in _DROPPED)
    if total == 0:
        missed = missed_before is not None and row.occurrence.at < missed_before
        return EXPIRED if missed else PENDING
    if total == waiting + dropped:  # nothing went
        return PENDING if waiting else EXPIRED
    if waiting == 0 and dropped == 0 and total >= row.audience:
        return DONE
    return PARTLY_DONE
