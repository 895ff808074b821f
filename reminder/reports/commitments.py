"""Commitments (节日廉洁承诺): the record an office keeps instead of paper of who committed, when,
and with which words.

A push whose `ack` has `commitment: family` or `commitment: person` collects them: each reply
that acknowledges one of its messages is a commitment. One is kept per family (a cadre and
their family members: the first of them to answer signs for the family) or per person, for the
campaign — a campaign is one festival's. Later answers of the same family or person are counted,
not listed. A commitment's words are what the person wrote: personal data, like the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reminder.inputs.project import Project
from reminder.store import ReplyOutcome, Store


@dataclass(frozen=True, slots=True)
class Commitment:
    """One family's (or person's) commitment: who signed, for whom, when, with which words."""

    family: str  # the cadre's id (the person's own id for `person`)
    cadre: str  # the cadre's name
    contact_id: str
    name: str
    relation: str
    number: str
    committed_at: datetime  # in the campaign's zone
    words: str
    push: str
    occurrence: date


@dataclass
class Commitments:
    """The commitments of one campaign, oldest first; `repeated`: answers after the first."""

    campaign: str
    name: str
    organisation: str
    zone: str
    pushes: tuple[str, ...]
    rows: list[Commitment]
    repeated: int


def commitments(project: Project, store: Store, campaign_id: str) -> Commitments:
    """The commitments collected by the campaign's committing pushes (none: an empty list)."""
    campaign = project.campaign(campaign_id)
    per = {p.id: p.ack.commitment for p in campaign.pushes if p.ack and p.ack.commitment}
    zone = project.timezone(campaign)
    contacts = project.book.contacts
    kept: dict[str, Commitment] = {}
    repeated = 0
    replies = store.replies(campaign=campaign_id, outcomes=[ReplyOutcome.acknowledged])
    for reply in sorted(replies, key=lambda r: (r.received_at, r.id or 0)):
        if reply.push not in per or reply.contact_id is None or reply.occurrence is None:
            continue
        contact = contacts.get(reply.contact_id)
        cadre = contacts.get(contact.family_of) if contact and contact.family_of else contact
        family = reply.contact_id
        if per[reply.push] == "family" and cadre is not None:
            family = cadre.id
        if family in kept:
            repeated += 1
            continue
        kept[family] = Commitment(
            family,
            cadre.name if cadre else "",
            reply.contact_id,
            contact.name if contact else "",
            (contact.relation or "") if contact else "",
            reply.sender,
            reply.received_at.astimezone(ZoneInfo(zone)),
            reply.text.strip(),
            reply.push,
            reply.occurrence,
        )
    return Commitments(
        campaign_id,
        campaign.name,
        project.config.settings.organisation,
        zone,
        tuple(per),
        list(kept.values()),
        repeated,
    )
