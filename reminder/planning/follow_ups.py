"""Follow-ups: a push whose audience is those another push asked who have not acknowledged.

A follow-up on day D follows the newest occurrence of its push P that sent at least `after`
before the follow-up's own time (a follow-up at 12:30 with `after: 4h` follows P's 08:30 of the
same day; one at 08:30 the next day with `after: 24h`, yesterday's). Its audience is every
contact whose message of that occurrence a gateway accepted and who has not acknowledged it,
as the store says when the follow-up is planned: it is planned once, like any occurrence, so a
later answer changes nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from reminder.inputs.campaigns import Campaign, Push
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.planning.occurrences import occurrences, send_time
from reminder.store import ReplyOutcome, Store
from reminder.store.values import ACCEPTED

#: Contacts whose status in the followed occurrence is read at a time.
BATCH = 2000


def followed_day(campaign: Campaign, push: Push, zone: str, day: date) -> date | None:
    """The date of the occurrence the follow-up `push` on `day` follows (None: none yet)."""
    assert push.follow_up is not None
    asked = campaign.push(push.follow_up.not_acknowledged)
    at = datetime.combine(day, send_time(campaign, push, day), ZoneInfo(zone))
    span = push.follow_up.after + timedelta(days=2)
    earlier = occurrences(campaign, asked, zone, (at - span).date(), day)
    eligible = [o for o in earlier if o.at + push.follow_up.after <= at]
    return eligible[-1].day if eligible else None


def silent(
    store: Store,
    campaign: Campaign,
    push: Push,
    zone: str,
    day: date,
    contacts: Iterator[Contact],
) -> Iterator[Contact]:
    """Of `contacts` (the followed push's audience), those it asked who have not answered."""
    assert push.follow_up is not None
    asked = push.follow_up.not_acknowledged
    asked_day = followed_day(campaign, push, zone, day)
    if asked_day is None:
        return
    answered = {
        r.contact_id
        for r in store.replies(
            campaign=campaign.id,
            push=asked,
            occurrence=asked_day,
            outcomes=[ReplyOutcome.acknowledged],
        )
    }
    accepted = {s.value for s in ACCEPTED}
    while chunk := list(islice(contacts, BATCH)):
        statuses = store.statuses_of(campaign.id, asked, asked_day, [c.id for c in chunk])
        for contact in chunk:
            if statuses.get(contact.id) in accepted and contact.id not in answered:
                yield contact


def audience(
    project: Project, store: Store | None, campaign: Campaign, push: Push, day: date
) -> Iterator[Contact]:
    """The contacts a push reaches on `day`: its groups', narrowed to the silent ones for a
    follow-up (without a store to ask: the whole audience of the push it follows)."""
    contacts = project.audience(campaign.id, push.id)
    if push.follow_up is None or store is None:
        return contacts
    return silent(store, campaign, push, project.timezone(campaign), day, contacts)
