"""The tables of governance: users, approvals, and the hash-chained audit trail.

Kept apart from the message tables (`models.py`): planning and dispatch never read these, only
the approval gate of the application core and the people who use it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from reminder.store.models import UTCDateTime


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class User(SQLModel, table=True):
    """A person who uses the console or the approval commands, with one role."""

    __tablename__ = "app_user"

    name: str = Field(primary_key=True)
    role: str
    password_hash: str
    disabled: bool = False
    created_at: datetime = _utc()


class Approval(SQLModel, table=True):
    """A request for approval of one occurrence date (`day`) or a whole campaign year (`year`),
    bound to the fingerprint of what was shown when it was requested, and its decision."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_campaign", "campaign", "day", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign: str
    day: date | None = None
    year: int | None = None
    fingerprint: str
    #: requested, approved, rejected, revoked
    status: str
    requested_by: str
    requested_at: datetime = _utc()
    decided_by: str | None = None
    decided_at: datetime | None = _utc(nullable=True)
    comment: str = ""


class AuditEntry(SQLModel, table=True):
    """One action that matters, appended and never changed: `hash` covers this entry's content
    and the previous entry's hash (`reminder.store.chain`)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc()
    actor: str
    action: str
    subject: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str
    hash: str


class WebSession(SQLModel, table=True):
    """A console session: only the SHA-256 of its token (the cookie's value) is kept, so
    reading the table gives no one a session; its CSRF token, who logged in (None before
    login) and when it ends (`idle_until`, pushed on by use, and `ends`)."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_ends", "ends"),)

    token_hash: str = Field(primary_key=True)
    csrf: str
    user: str | None = None
    idle_until: datetime = _utc()
    ends: datetime = _utc()


__all__ = ["Approval", "AuditEntry", "User", "WebSession"]
