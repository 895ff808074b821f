"""Looking ahead at cases: which case each upcoming occurrence carries for a person, and why
(`reminder preview --contact`); and how the cases are used (`reminder cases usage`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from reminder.inputs.cases import Case
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.planning.drafts import READ_BATCH
from reminder.planning.history import CaseSource, reader_surnames
from reminder.planning.occurrences import Occurrence, occurrences
from reminder.planning.rotation import Choice
from reminder.store import Store
from reminder.store.values import ACCEPTED, NEVER_READ


@dataclass(frozen=True)
class Upcoming:
    """One occurrence that reaches a contact, and the case it carries (None: its push sends
    no case)."""

    contact: Contact
    occurrence: Occurrence
    choice: Choice | None


def upcoming_cases(
    project: Project,
    store: Store | None,
    contacts: list[Contact],
    first: date,
    last: date,
    *,
    today: date,
    campaign_id: str | None = None,
) -> Iterator[Upcoming]:
    """Every occurrence from `first` to `last` that reaches each of `contacts` (of one campaign,
    or of all), in time order per contact, with the case planning will choose: what the store
    holds, and every occurrence from `today` on taken as sent as planned."""
    ids = [campaign_id] if campaign_id else sorted(project.campaigns)
    found: list[Occurrence] = []
    for cid in ids:
        campaign = project.campaign(cid)
        zone = project.timezone(campaign)
        for push in campaign.pushes:
            found += occurrences(campaign, push, zone, first, last)
    found.sort(key=lambda o: (o.at, o.campaign, o.push))
    cases = CaseSource(project, store, since=today)
    pending = iter(contacts)
    while batch := list(islice(pending, READ_BATCH)):
        readers = cases.readers(batch)
        for contact in batch:
            for occurrence in found:
                if project.reaches(occurrence.campaign, occurrence.push, contact.id):
                    choice = readers.choice(
                        contact, occurrence.campaign, occurrence.push, occurrence.day
                    )
                    yield Upcoming(contact, occurrence, choice)


@dataclass(frozen=True)
class CaseUse:
    """How many messages carrying one case went out in the year."""

    case_id: str
    case: Case | None  # None: no longer in the case files
    sent: int


@dataclass(frozen=True)
class Exhausted:
    """The readers of one push who have read every case it may send them."""

    campaign: str
    push: str
    pool: int
    readers: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class CaseUsage:
    """`reminder cases usage`: each case's messages sent in `year`, and per push the people who
    have read every case they may be sent (so every next case repeats one)."""

    year: int
    cases: list[CaseUse]
    exhausted: list[Exhausted]


def case_usage(project: Project, store: Store | None, year: int) -> CaseUsage:
    """How the cases were used in `year`, and who has read every case of a pool (ever); with
    no store yet, nothing was."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    counts = store.case_counts(first, last, ACCEPTED) if store is not None else {}
    ids = sorted(set(project.cases) | set(counts))
    uses = [CaseUse(i, project.cases.get(i), counts.get(i, 0)) for i in ids]
    exhausted = []
    for cid in sorted(project.campaigns):
        source = CaseSource(project)
        for push in project.campaign(cid).pushes:
            pool = source.casebook.pool(cid, push.id)
            if not pool:
                continue
            done = Exhausted(cid, push.id, len(pool.ordered))
            pending = project.audience(cid, push.id)
            while batch := list(islice(pending, READ_BATCH)):
                numbers = [c.phone for c in batch]
                readings = store.case_readings(numbers) if store is not None else {}
                for contact in batch:
                    read = {
                        r.case_id
                        for r in readings.get(contact.id, [])
                        if r.status not in NEVER_READ
                    }
                    surnames = reader_surnames(contact, project.book.cadre_of(contact))
                    if all(c.id in read for c in pool.allowed(surnames)):
                        done.readers.append(contact)
            exhausted.append(done)
    return CaseUsage(year, uses, exhausted)
