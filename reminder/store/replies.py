"""The tables of replies: which occurrences asked for an answer, and every reply received.

Both are append-only. A question is written once per occurrence when it is planned (the first
writer wins); a reply is written once, with what it was found to be when it arrived
(`ReplyOutcome`) and the message it acknowledges. Its `text` is personal data: shown where numbers
may be shown, masked elsewhere, never logged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from reminder.store.models import UTCDateTime


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class AckQuestion(SQLModel, table=True):
    """One occurrence whose messages ask for an answer: the accepted answers (normalised,
    `reminder.inputs.acks.normalise_reply`) and how long after its message one counts."""

    __tablename__ = "ack_question"

    campaign: str = Field(primary_key=True)
    push: str = Field(primary_key=True)
    occurrence: date = Field(primary_key=True)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    within_seconds: int
    created_at: datetime = _utc()


class Reply(SQLModel, table=True):
    """One message a person sent us, and what it was: `outcome` is a `ReplyOutcome` value; an
    acknowledgement names its message (and, copied from it, its campaign, push, date and
    contact, so listings and reports need no join)."""

    __tablename__ = "reply"
    __table_args__ = (
        UniqueConstraint("gateway", "provider_id", name="uq_reply_provider_id"),
        Index("ix_reply_message", "message_id"),
        Index("ix_reply_campaign", "campaign", "occurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gateway: str
    provider_id: str | None = None
    sender: str
    text: str
    received_at: datetime = _utc()
    outcome: str
    message_id: int | None = None
    campaign: str | None = None
    push: str | None = None
    occurrence: date | None = None
    contact_id: str | None = None
    #: When the message it answers was sent (or claimed, when its acceptance was not yet known).
    asked_at: datetime | None = _utc(nullable=True)


__all__ = ["AckQuestion", "Reply"]
