"""What each person has read, and the case each of their occurrences carries.

Planning reads the history of a whole batch of contacts (and of their cadres) from the store in
one go, by their numbers (`Store.case_readings`: the index dispatch keeps on recipients answers
it; a person whose number changed starts afresh), then chooses case by case
(`reminder.planning.rotation`). A choice depends only on what the reader read on *earlier
days*, on the reader's and their cadre's choices of the same day, and on a seed of (reader,
campaign, push, date): planning an occurrence again after a crash picks the same cases, and so
does every command that looks ahead.

The same day: a person's pushes are taken in one order (campaigns by id, pushes as their file
lists them); each avoids the cases the person's earlier pushes of that day carry, and a family
member's avoid every case their cadre reads that day.

Looking ahead (`preview`, `schedule`, `validate`): with `since` (today), every occurrence from
`since` up to the day asked that is not in the store yet is taken as read, as planned, in order
— so what a look ahead shows is what planning will choose when each day comes, as long as
every earlier occurrence goes out as planned.
"""

from __future__ import annotations

from bisect import bisect_left, insort
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

#: What a person who has read nothing has read (shared: never changed).
_NOTHING: dict[str, ReadAt] = {}
#: Days of occurrences worked out at a time when a day's pushes are first asked for.
_BLOCK = 366


def reader_surnames(contact: Contact, cadre: Contact | None) -> frozenset[str]:
    """The surnames whose cases a contact must not be sent: theirs, and their cadre's."""
    own = surname_of(contact.name)
    if cadre is None:
        found = _ALONE.get(own)
        if found is None:
            found = _ALONE[own] = frozenset([own] if own else [])
        return found
    return frozenset(s for s in (own, surname_of(cadre.name)) if s is not None)


#: The surname sets of readers without a cadre, by surname: one set shared by all of them.
_ALONE: dict[str | None, frozenset[str]] = {}


class DayPush(NamedTuple):
    """A push with cases that fires on a given day."""

    campaign: str
    push: Push
    pool: Pool


class Occasion(NamedTuple):
    """What the choices of one push on one day share (`Casebook.occasion`)."""

    pool: Pool
    earlier: tuple[DayPush, ...]
    seed: str


class Casebook:
    """The case pools of a project's pushes and which of them fire on each day: worked out once
    per command, shared by every batch."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._pools: dict[tuple[str, str], Pool] = {}
        self._days: dict[date, list[DayPush]] = {}
        self._busy: list[date] = []  # the days worked out that have pushes, in order
        self._occasions: dict[tuple[str, str, date], Occasion] = {}

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

    def occasion(self, campaign_id: str, push_id: str, day: date) -> Occasion:
        """One push on one day: its pool, the day's pushes with cases before it (all of them
        when it is not among them), and the seed of its choices without the reader."""
        key = (campaign_id, push_id, day)
        found = self._occasions.get(key)
        if found is None:
            pushes = self.day_pushes(day)
            place = next(
                (i for i, p in enumerate(pushes) if (p.campaign, p.push.id) == key[:2]),
                len(pushes),
            )
            seed = seed_of("", campaign_id, push_id, day)
            found = Occasion(self.pool(campaign_id, push_id), tuple(pushes[:place]), seed)
            self._occasions[key] = found
        return found

    def busy_days(self, first: date, until: date) -> list[date]:
        """The days from `first` to the day before `until` on which a push with cases fires."""
        day = first
        while day < until:  # work out every day of the span
            if day not in self._days:
                self._fill(day, day + timedelta(days=_BLOCK - 1))
            day += timedelta(days=1)
        return self._busy[bisect_left(self._busy, first) : bisect_left(self._busy, until)]

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
            if day not in self._days:
                self._days[day] = found.get(day, [])
                if self._days[day]:
                    insort(self._busy, day)
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
        stored = store.case_readings(_numbers(casebook, contacts)) if store and contacts else {}
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

    def choice(self, contact: Contact, campaign_id: str, push_id: str, day: date) -> Choice | None:
        """The case `contact` reads through one push on `day`, and why (None: no cases)."""
        key = (contact.id, campaign_id, push_id, day)
        if key in self._choices:
            return self._choices[key]
        occasion = self.casebook.occasion(campaign_id, push_id, day)
        if not occasion.pool:
            return None
        if self.since is not None:
            self._advance(contact, day)
        avoid: set[str] = (
            self._cases_of(contact, day, occasion.earlier) if occasion.earlier else set()
        )
        cadre = self.project.book.cadre_of(contact) if contact.family_of else None
        if cadre is not None:
            avoid |= self._cases_of(cadre, day, self.casebook.day_pushes(day))
        chosen = occasion.pool.choose(
            contact.id + occasion.seed,
            self.last_read(contact.id, day),
            reader_surnames(contact, cadre),
            avoid,
        )
        self._choices[key] = chosen
        return chosen

    def last_read(self, contact_id: str, day: date) -> dict[str, ReadAt]:
        """When the contact last read each case, on days before `day`."""
        read = self._read.get(contact_id)
        if not read:
            return _NOTHING
        cached = self._last.setdefault(contact_id, {})
        if day not in cached:
            last: dict[str, ReadAt] = {}
            for at, case_id in sorted(read.items()):
                if at[0] >= day:
                    break
                last[case_id] = at
            cached[day] = last
        return cached[day]

    def _cases_of(self, contact: Contact, day: date, pushes: Sequence[DayPush]) -> set[str]:
        """The cases the contact reads on `day` through those of `pushes` that reach them."""
        cases: set[str] = set()
        for other in pushes:
            if self.project.reaches(other.campaign, other.push.id, contact.id):
                chosen = self.choice(contact, other.campaign, other.push.id, day)
                if chosen is not None:
                    cases.add(chosen.case.id)
        return cases

    def _advance(self, contact: Contact, until: date) -> None:
        """Take every occurrence of the contact from `since` to the day before `until` that is not
        in the store as read, in order (a look ahead only)."""
        start = self._advanced.get(contact.id, self.since)
        if start is None or start >= until:
            return
        stored = self._stored.get(contact.id, set())
        for day in self.casebook.busy_days(start, until):
            self._advanced[contact.id] = day
            for other in self.casebook.day_pushes(day):
                at = (day, other.campaign, other.push.id)
                if at in stored or not self.project.reaches(at[1], at[2], contact.id):
                    continue
                chosen = self.choice(contact, at[1], at[2], day)
                if chosen is not None:
                    self._read.setdefault(contact.id, {})[at] = chosen.case.id
                    self._last.pop(contact.id, None)
        self._advanced[contact.id] = until


def _numbers(casebook: Casebook, contacts: Sequence[Contact]) -> list[str]:
    """The numbers of `contacts` and of their cadres: where their history is read from."""
    numbers = [c.phone for c in contacts]
    for contact in contacts:
        cadre = casebook.project.book.cadre_of(contact) if contact.family_of else None
        if cadre is not None:
            numbers.append(cadre.phone)
    return numbers


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
