"""The values the store contract speaks in: what planning hands over, which messages an
operation selects, why a message was skipped, and the rows report queries return.

They hold no database types, so the SQL store and the in-memory one (`reminder.testing`) share
them, and so does every caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from reminder.status import Status

#: The statuses a message counts against the per-number cap in: on its way, or arrived.
COUNTED_AGAINST_CAP = (
    Status.sending,
    Status.unknown,
    Status.sent,
    Status.delivered,
    Status.undelivered,
)

#: The statuses of a message that never reached its reader, and never will: its case does not
#: count as read (`Store.case_readings`).
NEVER_READ = (Status.skipped, Status.expired, Status.canceled)
#: The statuses of a message a gateway accepted: its case counts as sent (`Store.case_counts`).
ACCEPTED = (Status.sent, Status.delivered, Status.undelivered)
#: The event sources that are receipts: a provider's callback, a status poll, or a receipt on
#: the provider's own connection (SMPP's bind).
RECEIPT_SOURCES = ("callback", "poll", "bind")


class SkipReason(StrEnum):
    """Why a message is `skipped`: a closed set, kept in the message's `skip_reason` column
    (its `error_text` keeps the words a person reads). Expired and canceled messages have
    statuses of their own and no skip reason."""

    #: The number is on the suppression list (a STOP reply, an operator, the provider's
    #: "unsubscribed"), at planning or found at dispatch.
    suppressed = "suppressed"
    #: The number already had the per-number cap of messages in the last 24 hours.
    per_number_cap = "per_number_cap"


@dataclass(frozen=True)
class Selection:
    """Which messages an operation works on: a campaign, optionally one push and one date
    (every campaign when `campaign` is None), optionally only dates from `since` to `until`
    (a report covers one window's occurrences that are due, not those planned ahead)."""

    campaign: str | None = None
    push: str | None = None
    occurrence: date | None = None
    since: date | None = None
    until: date | None = None

    def matches(self, campaign: str, push: str, occurrence: date) -> bool:
        """Whether a message of this campaign, push and date is selected."""
        return (
            self.campaign in (None, campaign)
            and self.push in (None, push)
            and self.occurrence in (None, occurrence)
            and (self.since is None or occurrence >= self.since)
            and (self.until is None or occurrence <= self.until)
        )


@dataclass(slots=True)
class NewMessage:
    """What planning hands to the store for one message. A value: never changed once made (not
    `frozen`: a frozen dataclass costs ~2 µs more to build, per message planned)."""

    campaign: str
    push: str
    occurrence: date
    contact_id: str
    recipient: str
    body: str
    segments: int
    encoding: str
    template: str
    variables: dict[str, str]
    case_id: str | None
    status: Status = Status.planned
    error_text: str | None = None
    skip_reason: SkipReason | None = None


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """How many messages of one push on one date are in one status (and skip reason)."""

    push: str
    occurrence: date
    status: Status
    skip_reason: SkipReason | None
    count: int


class ReachState(IntEnum):
    """How far a contact's messages got, best first wins: reached (delivered, or accepted by a
    gateway that never confirms delivery), accepted and awaiting a receipt, or not reached."""

    not_reached = 0
    awaiting = 1
    reached = 2


@dataclass(frozen=True, slots=True)
class ContactReach:
    """The best state of one contact's messages of one push in a selection."""

    contact_id: str
    push: str
    state: ReachState


@dataclass(frozen=True, slots=True)
class UnreachedRow:
    """The last message (highest id) of a contact none of whose messages reached them or
    awaits a receipt: only the columns a report shows."""

    contact_id: str
    recipient: str
    status: Status
    error_code: str | None
    error_text: str | None
    occurrence: date


@dataclass(frozen=True, slots=True)
class GatewayReceipts:
    """What one gateway did with a selection's messages: how many it accepted (sent, delivered
    or undelivered), how many of those still await a receipt (`sent`), and when the last
    receipt (a callback or a poll) arrived."""

    gateway: str
    accepted: int
    awaiting: int
    last_receipt: datetime | None


@dataclass(frozen=True, slots=True)
class CaseReading:
    """One message with a case, as planning weighs what a person has read: which case, the
    message's identity, and its status (a message `NEVER_READ` is no reading)."""

    case_id: str
    occurrence: date
    campaign: str
    push: str
    status: Status


@dataclass(frozen=True, slots=True)
class ReceiptUpdate:
    """One receipt as the store applies it: the message the provider calls `provider_id`, our
    status for the provider's `word` (None when we do not know the word), and where it came
    from (`callback`, `poll`)."""

    provider_id: str
    status: Status | None
    word: str
    source: str
    error_code: str | None = None
    error_text: str | None = None

    @property
    def detail(self) -> str:
        """The event's detail: where the receipt came from and the provider's word."""
        return f"{self.source}: {self.word}"

    def fields(self) -> dict[str, str | None]:
        """The message's columns a move by this receipt sets besides its status."""
        if self.status in (Status.failed, Status.undelivered):
            return {"error_code": self.error_code, "error_text": self.error_text}
        return {"error_code": self.error_code, "error_text": self.detail}


@dataclass(frozen=True, slots=True)
class Applied:
    """What one receipt did: the message it concerned (None if no message has its provider id)
    and whether it moved the message forward."""

    message_id: int | None
    moved: bool


class ReplyOutcome(StrEnum):
    """What a reply was found to be when it arrived (kept in the reply's `outcome` column)."""

    #: One of the keywords of exactly one open question: it acknowledges that message.
    acknowledged = "acknowledged"
    #: A keyword of two or more different open questions: kept for the operator to judge.
    ambiguous = "ambiguous"
    #: No open question takes it (an unknown word, a late answer, no question at all): kept.
    unmatched = "unmatched"
    #: An opt-out word: the sender was suppressed; opting out wins over everything.
    opted_out = "opted_out"


@dataclass(frozen=True, slots=True)
class NewReply:
    """One reply as the inbound path hands it to the store: `sender` in E.164, `words` the text
    as answers are compared (`reminder.inputs.acks.normalise_reply`)."""

    gateway: str
    provider_id: str | None
    sender: str
    text: str
    words: str
    received_at: datetime
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A message to a number that asked for an answer, as matching weighs it: `asked_at` is
    when it was sent (None while its acceptance is not yet recorded; then `claimed_at`, when a
    dispatcher took it, bounds how long it stays open)."""

    message_id: int
    campaign: str
    push: str
    occurrence: date
    contact_id: str
    asked_at: datetime | None
    keywords: frozenset[str]
    within_seconds: int
    claimed_at: datetime | None = None
