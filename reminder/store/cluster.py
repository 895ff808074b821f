"""The tables of several nodes on one store: each node's heartbeat, and each gateway's rate
shared by every node.

Kept apart from the message tables (`models.py`): planning never reads these; the daemon
writes its heartbeat, dispatch on PostgreSQL reserves its sending time, and `reminder status`
reads both (`reminder.store.sql.nodes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from reminder.store.models import UTCDateTime


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class Node(SQLModel, table=True):
    """One `reminder run` process: who it is (`reminder.delivery.owner`), since when, its last
    heartbeat on the engine's clock, how many messages it sent, and whether it led then."""

    __tablename__ = "node"

    id: str = Field(primary_key=True)
    host: str
    pid: int
    started_at: datetime = _utc()
    beat_at: datetime = _utc()
    sent: int = 0
    leading: bool = False
    #: False once the node stopped cleanly (a killed one stays True until its beat goes stale).
    running: bool = True


class RateSlot(SQLModel, table=True):
    """The next free moment on one gateway's shared timeline: nodes reserve spans of it
    (`reminder.delivery.shared_rate`), so the gateway's rate is the total across nodes."""

    __tablename__ = "rate_slot"

    gateway: str = Field(primary_key=True)
    next_at: datetime = _utc()


__all__ = ["Node", "RateSlot"]
