"""What each person has read, and the case each of their occurrences carries.

Planning reads the history of a whole batch of contacts (and of their cadres) from the store in
one go (`Store.case_readings`), then chooses case by case (`reminder.planning.rotation`). A
choice depends only on what the reader read on *earlier days*, on the reader's and their cadre's
choices of the same day, and on a seed of (reader, campaign, push, date): planning an
occurrence again after a crash picks the same cases, and so does every command that looks
ahead.

The same day: a person's pushes are taken in one order (campaigns by id, pushes as their file
lists them); each avoids the cases the person's earlier pushes of that day carry, and a family
member's avoid every case their cadre reads that day.

Looking ahead (`preview`, `schedule`, `validate`): with `since` (today), every occurrence from
`since` up to the day asked that is not in the store yet is taken as read, as planned, in order
— so what a look ahead shows is what planning will choose when each day comes, as long as
every earlier occurrence goes out as planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

from reminder.inputs.campaigns import Push
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.inputs.surnames import surname_of
from reminder.planning.occurrences import occurrences
from reminder.planning.rotation import Choice, Pool, ReadAt, seed_of
from reminder.store import Store
from reminder.store.values import NEVER_READ

#: Days of occurrences worked out at a time when a day's pushes are first asked for.
_BLOCK = 366


def reader_surnames(contact: Contact, cadre: Contact | None) -> frozenset[str]:
    """The surnames whose cases a contact must not be sent: theirs, and their cadre's."""
    names = [contact.name] + ([cadre.name] if cadre is not None else [])
    return frozenset(s for s in map(surname_of, names) if s is not None)


class DayPush(NamedTuple):
    """A push with cases that fires on a given day."""

    campaign: str
    push: Push
    pool: Pool


class Casebook:
    """The case pools of a project's pushes and which of them fire on each day: worked out once
    per command, shared by every batch."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._pools: dict[tuple[str, str], Pool] = {}
        self._days: dict[date, list[DayPush]] = {}

    def pool(self, campaign_id: str, push_id: str) -> Pool:
        """The cases of one push (empty when it sends none)."""
        key = (campaign_id, push_id)
        if key not in self._pools:
            push = self.project.campaign(campaign_id).push(push_id)
            self._pools[key] = Pool(push.case_pool(self.project.cases))
        return self._pools[key]

    def day_pushes(self, day: date) -> list[DayPush]:
        """The pushes with cases that fire on `day`, campaigns by id, pushes in file order."""
        if day not in self._days:
            self._fill(day, day + timedelta(days=_BLOCK - 1))
        return self._days[day]

    def _fill(self, first: date, last: date) -> None:
        found: dict[date, list[DayPush]] = {}
        for campaign_id in sorted(self.project.campaigns):
            campaign = self.project.campaign(campaign_id)
            zone = self.project.timezone(campaign)
            for push in campaign.pushes:
                pool = self.pool(campaign_id, push.id)
                if not pool:
                    continue
                for occurrence in occurrences(campaign, push, zone, first, last):
                    found.setdefault(occurrence.day, []).append(DayPush(campaign_id, push, pool))
        day = first
        while day <= last:
            self._days.setdefault(day, found.get(day, []))
            day += timedelta(days=1)


class Readers:
    """A batch of readers: what they read (from the store, and simulated from `since` for a
    look ahead) and the case of each of their occurrences (see the module docstring)."""

    def __init__(
        self,
        casebook: Casebook,
        store: Store | None,
        contacts: Sequence[Contact],
        since: date | None,
    ) -> None:
        self.casebook = casebook
        self.project = casebook.project
        self.since = since
        ids = {c.id for c in contacts} | {c.family_of for c in contacts if c.family_of}
        stored = store.case_readings(sorted(ids)) if store is not None and ids else {}
        #: Per contact: every message with a case in the store, and the case of each reading.
        self._stored: dict[str, set[ReadAt]] = {}
        self._read: dict[str, dict[ReadAt, str]] = {}
        for contact_id, readings in stored.items():
            self._stored[contact_id] = {(r.occurrence, r.campaign, r.push) for r in readings}
            self._read[contact_id] = {
                (r.occurrence, r.campaign, r.push): r.case_id
                for r in readings
                if r.status not in NEVER_READ
            }
        self._last: dict[str, dict[date, dict[str, ReadAt]]] = {}
        self._advanced: dict[str, date] = {}
        self._choices: dict[tuple[str, str, str, date], Choice | None] = {}
        self._surnames: dict[str, frozenset[str]] = {}

    def choice(self, contact: Contact, campaign_id: str, push_id: str, day: date) -> Choice | None:
        """The case `contact` reads through one push on `day`, and why (None: no cases)."""
        key = (contact.id, campaign_id, push_id, day)
        if key in self._choices:
            return self._choices[key]
        pool = self.casebook.pool(campaign_id, push_id)
        if not pool:
            return None
        self._advance(contact, day)
        avoid = self._earlier_today(contact, campaign_id, push_id, day)
        cadre = self.project.book.cadre_of(contact)
        if cadre is not None:
            avoid |= self._earlier_today(cadre, "", "", day)
        chosen = pool.choose(
            seed_of(contact.id, campaign_id, push_id, day),
            self.last_read(contact.id, day),
            self.surnames(contact, cadre),
            avoid,
        )
        self._choices[key] = chosen
        return chosen

    def last_read(self, contact_id: str, day: date) -> dict[str, ReadAt]:
        """When the contact last read each case, on days before `day`."""
        cached = self._last.setdefault(contact_id, {})
        if day not in cached:
            last: dict[str, ReadAt] = {}
            for at, case_id in sorted(self._read.get(contact_id, {}).items()):
                if at[0] >= day:
                    break
                last[case_id] = at
            cached[day] = last
        return cached[day]

    def surnames(self, contact: Contact, cadre: Contact | None) -> frozenset[str]:
        """The surnames whose cases the contact must not be sent: theirs and their cadre's."""
        found = self._surnames.get(contact.id)
        if found is None:
            found = self._surnames[contact.id] = reader_surnames(contact, cadre)
        return found

    def _earlier_today(
        self, contact: Contact, campaign_id: str, push_id: str, day: date
    ) -> set[str]:
        """The cases the contact reads on `day` through pushes before the given one (all of the
        day's pushes when it is not among them)."""
        cases: set[str] = set()
        for other in self.casebook.day_pushes(day):
            if (other.campaign, other.push.id) == (campaign_id, push_id):
                break
            if self.project.reaches(other.campaign, other.push.id, contact.id):
                chosen = self.choice(contact, other.campaign, other.push.id, day)
                if chosen is not None:
                    cases.add(chosen.case.id)
        return cases

    def _advance(self, contact: Contact, until: date) -> None:
        """Take every occurrence of the contact from `since` to the day before `until` that is not
        in the store as read, in order (a look ahead only)."""
        day = self._advanced.get(contact.id, self.since)
        if day is None or day >= until:
            return
        stored = self._stored.get(contact.id, set())
        while day < until:
            self._advanced[contact.id] = day
            for other in self.casebook.day_pushes(day):
                at = (day, other.campaign, other.push.id)
                if at in stored or not self.project.reaches(at[1], at[2], contact.id):
                    continue
                chosen = self.choice(contact, at[1], at[2], day)
                if chosen is not None:
                    self._read.setdefault(contact.id, {})[at] = chosen.case.id
                    self._last.pop(contact.id, None)
            day += timedelta(days=1)
        self._advanced[contact.id] = until


class CaseSource:
    """Where a command learns what people have read: the store (None: nothing read yet) and,
    for a look ahead, the day from which occurrences not in the store are taken as read
    (`since`; None: only what the store holds)."""

    def __init__(
        self, project: Project, store: Store | None = None, since: date | None = None
    ) -> None:
        self.casebook = Casebook(project)
        self.store = store
        self.since = since

    def readers(self, contacts: Sequence[Contact]) -> Readers:
        """The readers of one batch, their history read from the store in one go."""
        return Readers(self.casebook, self.store, contacts, self.since)
