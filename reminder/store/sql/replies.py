"""Questions and replies in SQL (a part of `SqlStore`).

A reply's open questions are read through the message table's `(recipient, sent_at)` index:
the number's messages sent in the last `LOOK_BACK`, and those being sent, joined to the
questions of their occurrences. Replies are inserted `ON CONFLICT DO NOTHING` on
`(gateway, provider_id)`: a duplicate, even one racing in from another process, is written once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from reminder.status import Status
from reminder.store.engine import write_transaction
from reminder.store.matching import CLOCK_SKEW, LOOK_BACK, decide
from reminder.store.models import from_row
from reminder.store.replies import AckQuestion, Reply
from reminder.store.sql.tables import EVENT, MESSAGE
from reminder.store.values import ACCEPTED, NewReply, OpenQuestion, ReplyOutcome

QUESTION = AckQuestion.__table__  # type: ignore[attr-defined]
REPLY = Reply.__table__  # type: ignore[attr-defined]

#: Statuses of a message whose acceptance is not recorded yet: open to a reply at once.
BEING_SENT = (Status.sending.value, Status.unknown.value)


def _insert(connection: Connection, table: Any) -> Any:
    """An INSERT that skips a row conflicting with a unique key, on either database."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


class ReplyQueries:
    """The store's questions and replies."""

    engine: Engine

    def ask(
        self,
        campaign: str,
        push: str,
        occurrence: date,
        keywords: Collection[str],
        within_seconds: int,
        now: datetime,
    ) -> bool:
        """Record that this occurrence asks for an answer; False if it was recorded already."""
        values = {
            "campaign": campaign,
            "push": push,
            "occurrence": occurrence,
            "keywords": sorted(keywords),
            "within_seconds": within_seconds,
            "created_at": now,
        }
        with write_transaction(self.engine) as connection:
            statement = _insert(connection, QUESTION).values(**values)
            added = connection.execute(statement.returning(QUESTION.c.campaign)).first()
        return added is not None

    def add_replies(self, replies: Sequence[NewReply], now: datetime) -> list[ReplyOutcome | None]:
        """Record each reply once, with what it was found to be (see the contract)."""
        outcomes: list[ReplyOutcome | None] = []
        with write_transaction(self.engine) as connection:
            for reply in replies:
                outcomes.append(_add_reply(connection, reply, now))
        return outcomes

    def replies(
        self,
        *,
        campaign: str | None = None,
        push: str | None = None,
        occurrence: date | None = None,
        outcomes: Collection[ReplyOutcome] = (),
        limit: int | None = None,
    ) -> list[Reply]:
        """Replies, newest first, optionally filtered."""
        query = select(REPLY).order_by(REPLY.c.received_at.desc(), REPLY.c.id.desc())
        for column, value in (("campaign", campaign), ("push", push), ("occurrence", occurrence)):
            if value is not None:
                query = query.where(REPLY.c[column] == value)
        if outcomes:
            query = query.where(REPLY.c.outcome.in_([o.value for o in outcomes]))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [from_row(Reply, row._mapping) for row in connection.execute(query)]


def _add_reply(connection: Connection, reply: NewReply, now: datetime) -> ReplyOutcome | None:
    """Record one reply; None when it is a duplicate."""
    if reply.provider_id is not None and _seen(connection, reply):
        return None
    if reply.opted_out:
        outcome, question = ReplyOutcome.opted_out, None
    else:
        outcome, question = decide(
            reply.words, reply.received_at, open_questions(connection, reply)
        )
    values: dict[str, Any] = {
        "gateway": reply.gateway,
        "provider_id": reply.provider_id,
        "sender": reply.sender,
        "text": reply.text,
        "received_at": reply.received_at,
        "outcome": outcome.value,
    }
    if question is not None:
        values.update(
            message_id=question.message_id,
            campaign=question.campaign,
            push=question.push,
            occurrence=question.occurrence,
            contact_id=question.contact_id,
            asked_at=question.asked_at,
        )
    added = connection.execute(_insert(connection, REPLY).values(**values).returning(REPLY.c.id))
    reply_id = added.scalar()
    if reply_id is None:  # the same reply, written by another process meanwhile
        return None
    if question is not None:
        status = connection.execute(
            select(MESSAGE.c.status).where(MESSAGE.c.id == question.message_id)
        ).scalar_one()
        connection.execute(
            insert(EVENT).values(
                message_id=question.message_id,
                at=now,
                status=status,
                previous=status,
                source="reply",
                detail=f"acknowledged by reply {reply_id}",
            )
        )
    return outcome


def _seen(connection: Connection, reply: NewReply) -> bool:
    query = select(REPLY.c.id).where(
        REPLY.c.gateway == reply.gateway, REPLY.c.provider_id == reply.provider_id
    )
    return connection.execute(query.limit(1)).first() is not None


def open_questions(connection: Connection, reply: NewReply) -> list[OpenQuestion]:
    """The messages to the reply's sender that asked for an answer and may still take one."""
    at = reply.received_at
    joined = MESSAGE.join(
        QUESTION,
        and_(
            QUESTION.c.campaign == MESSAGE.c.campaign,
            QUESTION.c.push == MESSAGE.c.push,
            QUESTION.c.occurrence == MESSAGE.c.occurrence,
        ),
    )
    query = (
        select(
            MESSAGE.c.id,
            MESSAGE.c.campaign,
            MESSAGE.c.push,
            MESSAGE.c.occurrence,
            MESSAGE.c.contact_id,
            MESSAGE.c.sent_at,
            MESSAGE.c.status,
            QUESTION.c.keywords,
            QUESTION.c.within_seconds,
        )
        .select_from(joined)
        .where(
            MESSAGE.c.recipient == reply.sender,
            or_(
                and_(
                    MESSAGE.c.sent_at >= at - LOOK_BACK,
                    MESSAGE.c.sent_at <= at + CLOCK_SKEW,
                    MESSAGE.c.status.in_([s.value for s in ACCEPTED]),
                ),
                and_(MESSAGE.c.sent_at.is_(None), MESSAGE.c.status.in_(BEING_SENT)),
            ),
        )
    )
    return [
        OpenQuestion(
            row.id,
            row.campaign,
            row.push,
            row.occurrence,
            row.contact_id,
            row.sent_at if row.status not in BEING_SENT else None,
            frozenset(row.keywords),
            row.within_seconds,
        )
        for row in connection.execute(query)
    ]
