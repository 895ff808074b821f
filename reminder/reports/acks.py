"""Acknowledgement figures of a report: did the people a push asked answer? Only for campaigns
with a push that asks (`ack:`); a report of any other campaign has none.

A message *asked* when it reached its reader or was accepted and awaits a receipt (delivered or
sent: an undelivered one could not be answered); it is *acknowledged* when a reply was matched
to it (`reminder.store.matching`). Per occurrence the rate is acknowledged messages / asked
messages; per group and overall, contacts who acknowledged at least once / contacts asked at
least once, over the pushes that ask. The median time to acknowledge runs from a message's
sending to its first acknowledging reply (a reply that overtook the recording of its
acceptance counts as immediate). *Never acknowledged* lists the contacts asked in the period
who answered none of their questions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from reminder.inputs.groups import resolve
from reminder.inputs.project import Project
from reminder.store import ReachState, ReplyOutcome, Selection, Store


@dataclass
class AckOccurrence:
    """The answers to one asking push on one date."""

    push: str
    occurrence: date
    asked: int
    acknowledged: int = 0

    @property
    def rate(self) -> float:
        """Acknowledged messages / messages that asked."""
        return self.acknowledged / self.asked if self.asked else 0.0


@dataclass
class AckGroup:
    """The answers of one audience group's members to the asking pushes addressed to it."""

    group: str
    asked: int = 0
    acknowledged: int = 0

    @property
    def rate(self) -> float:
        """Members who acknowledged / members asked."""
        return self.acknowledged / self.asked if self.asked else 0.0


@dataclass(frozen=True, slots=True)
class Silent:
    """A contact asked in the period who never acknowledged."""

    contact_id: str
    name: str
    number: str


@dataclass
class AckFigures:
    """The acknowledgement part of a report (see the module doc)."""

    pushes: tuple[str, ...]
    occurrences: list[AckOccurrence]
    groups: list[AckGroup]
    asked: int
    acknowledged: int
    median_seconds: float | None
    silent: list[Silent] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Contacts who acknowledged at least once / contacts asked."""
        return self.acknowledged / self.asked if self.asked else 0.0

    @property
    def median(self) -> timedelta | None:
        """The median time from a message to its first acknowledgement."""
        return None if self.median_seconds is None else timedelta(seconds=self.median_seconds)


def ack_figures(
    project: Project,
    store: Store,
    campaign_id: str,
    selection: Selection,
    accepted: Iterable[tuple[str, date, int]],
    unconfirmed: Collection[str],
) -> AckFigures | None:
    """The acknowledgement figures of a report over `selection`; None when no push of the
    campaign asks. `accepted`: (push, date, messages delivered or sent) per occurrence."""
    campaign = project.campaign(campaign_id)
    asking = tuple(p.id for p in campaign.pushes if p.ack is not None)
    if not asking:
        return None
    first: dict[int, tuple[str, date, str, float | None]] = {}  # message id → its first ack
    for reply in store.replies(campaign=campaign_id, outcomes=[ReplyOutcome.acknowledged]):
        if reply.message_id is None or reply.push is None or reply.occurrence is None:
            continue
        if not selection.matches(campaign_id, reply.push, reply.occurrence):
            continue
        waited = _waited(reply.asked_at, reply.received_at)
        known = first.get(reply.message_id)
        if known is None or (waited or 0.0) < (known[3] or 0.0):
            first[reply.message_id] = (reply.push, reply.occurrence, reply.contact_id or "", waited)
    occurrences = {
        (push, day): AckOccurrence(push, day, count)
        for push, day, count in accepted
        if push in asking and count
    }
    for push, day, _, _ in first.values():
        if (push, day) in occurrences:
            occurrences[(push, day)].acknowledged += 1
    answered = {contact for _, _, contact, _ in first.values()}
    asked = _asked(store, selection, unconfirmed, asking)
    groups = _groups(project, campaign_id, asking, asked, answered)
    waits = [w for *_, w in first.values() if w is not None]
    silent_ids = sorted(c for c in asked if c not in answered)
    return AckFigures(
        asking,
        [occurrences[k] for k in sorted(occurrences, key=lambda k: (k[1], k[0]))],
        groups,
        len(asked),
        len(answered & asked.keys()),
        median(waits) if waits else None,
        _silent(project, silent_ids),
    )


def _waited(asked_at: datetime | None, received_at: datetime) -> float | None:
    if asked_at is None:
        return 0.0  # the reply overtook the recording of the acceptance
    return max((received_at - asked_at).total_seconds(), 0.0)


def _asked(
    store: Store, selection: Selection, unconfirmed: Collection[str], asking: tuple[str, ...]
) -> dict[str, set[str]]:
    """By contact: the asking pushes that reached them (or await a receipt)."""
    asked: dict[str, set[str]] = {}
    for row in store.contact_reach(selection, unconfirmed):
        if row.push in asking and row.state is not ReachState.not_reached:
            asked.setdefault(row.contact_id, set()).add(row.push)
    return asked


def _groups(
    project: Project,
    campaign_id: str,
    asking: tuple[str, ...],
    asked: dict[str, set[str]],
    answered: set[str],
) -> list[AckGroup]:
    campaign = project.campaign(campaign_id)
    found = []
    names = sorted({g for p in campaign.pushes if p.id in asking for g in p.audience})
    for name in names:
        pushes = {p.id for p in campaign.pushes if p.id in asking and name in p.audience}
        figures = AckGroup(name)
        for contact in resolve(name, project.groups, project.book):
            if asked.get(contact.id, set()) & pushes:
                figures.asked += 1
                figures.acknowledged += contact.id in answered
        found.append(figures)
    return found


def _silent(project: Project, contact_ids: list[str]) -> list[Silent]:
    contacts = project.book.contacts
    found = []
    for contact_id in contact_ids:
        contact = contacts.get(contact_id)
        found.append(
            Silent(
                contact_id,
                contact.name if contact else "",
                contact.phone if contact else "",
            )
        )
    return found
