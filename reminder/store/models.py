"""The tables of the store. Timestamps are stored in UTC and read back as aware datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ClassManager, class_mapper
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store keeps aware datetimes only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Table = TypeVar("Table", bound=SQLModel)


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class Message(SQLModel, table=True):
    """One message: identity `(campaign, push, occurrence, contact_id)`, body and delivery state."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint(
            "campaign", "push", "occurrence", "contact_id", name="uq_message_identity"
        ),
        Index("ix_message_claim", "status", "campaign", "occurrence", "push"),
        Index("ix_message_campaign_day", "campaign", "occurrence", "push", "status", "skip_reason"),
        Index("ix_message_recipient_sent_at", "recipient", "sent_at"),
        Index("ix_message_provider_id", "provider_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign: str
    push: str
    occurrence: date
    contact_id: str
    recipient: str
    body: str
    segments: int
    encoding: str
    template: str
    variables: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    case_id: str | None = None
    gateway: str | None = None
    provider_id: str | None = None
    status: str
    attempts: int = 0
    error_code: str | None = None
    error_text: str | None = None
    #: Why a `skipped` message was skipped: a `SkipReason` value (None for every other status).
    skip_reason: str | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)
    claimed_by: str | None = None
    #: When it was last claimed, by the claiming machine's wall clock (not the engine's, which
    #: a rehearsal simulates): where a provider lookup starts.
    claimed_at: datetime | None = _utc(nullable=True)
    #: A `planned` message is not claimed before this time (a provider deferred its number:
    #: a per-number daily limit, or a limit of its own); None: at once.
    not_before: datetime | None = _utc(nullable=True)


class DeliveryEvent(SQLModel, table=True):
    """An append-only record of one status change (or attempt) of one message."""

    __tablename__ = "delivery_event"
    __table_args__ = (Index("ix_delivery_event_message", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(
        sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = _utc()
    status: str
    previous: str | None = None
    source: str
    error_code: str | None = None
    detail: str | None = None


class Suppression(SQLModel, table=True):
    """A number that must not be messaged (opted out, unsubscribed, added by an operator)."""

    __tablename__ = "suppression"

    number: str = Field(primary_key=True)
    reason: str
    source: str
    created_at: datetime = _utc()


class CampaignState(SQLModel, table=True):
    """Operator state of a campaign: paused campaigns are not dispatched."""

    __tablename__ = "campaign_state"

    campaign: str = Field(primary_key=True)
    paused: bool = False
    updated_at: datetime = _utc()


@cache
def _manager(model: type[SQLModel]) -> ClassManager[Any]:
    return class_mapper(model).class_manager


def from_row(model: type[Table], row: Mapping[Any, Any]) -> Table:
    """A table model from one of its own rows, as read with `select(model.__table__)`.

    The column types have already converted every value (dates, aware UTC datetimes, JSON), so
    this skips pydantic's validation, which costs ~90 µs a message against ~10 µs here: the
    dispatcher reads thousands a second (bench/README.md).
    """
    return from_values(model, dict(row))


def from_values(model: type[Table], values: dict[str, Any]) -> Table:
    """`from_row` for a dict of converted column values made for it (it is not copied)."""
    instance: Table = _manager(model).new_instance()
    instance.__dict__.update(values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    return instance


__all__ = [
    "CampaignState",
    "DeliveryEvent",
    "Message",
    "SQLModel",
    "Suppression",
    "UTCDateTime",
    "from_row",
    "from_values",
]
