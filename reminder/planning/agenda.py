"""The calendar of upcoming occurrences behind `reminder schedule`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reminder.inputs.project import Project
from reminder.planning.drafts import tally_push
from reminder.planning.history import CaseSource
from reminder.planning.occurrences import Occurrence, occurrences
from reminder.store import Store


@dataclass(frozen=True)
class AgendaRow:
    """One occurrence as staff check it before a festival."""

    occurrence: Occurrence
    timezone: str
    audience: int
    segments: int

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
) -> list[AgendaRow]:
    """Every occurrence from `first` to `last`, in time order, with audience and segments; the
    cases chosen from what each person read (`store`) and will have read by then (from
    `today`), as planning will choose them."""
    rows = []
    cases = CaseSource(project, store, today)
    ids = [campaign_id] if campaign_id else sorted(project.campaigns)
    for cid in ids:
        campaign = project.campaign(cid)
        zone = project.timezone(campaign)
        for push in campaign.pushes:
            for occurrence in occurrences(campaign, push, zone, first, last):
                tally = tally_push(project, cid, push, occurrence.window, occurrence.day, cases)
                rows.append(AgendaRow(occurrence, zone, tally.messages, tally.segments))
    return sorted(rows, key=lambda r: (r.occurrence.at, r.occurrence.campaign, r.occurrence.push))
