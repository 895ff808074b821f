"""Questions and replies in SQL (a part of `SqlStore`).

A batch of replies is judged in one transaction: the open questions of all its senders are read
at once through the message table's `(recipient, sent_at)` index (the numbers' messages sent in
the last `LOOK_BACK`, and those being sent, joined to the questions of their occurrences), each
reply is judged in Python (`decide`), and the acknowledgements' events are written together.
Replies are inserted `ON CONFLICT DO NOTHING` on `(gateway, provider_id)`: a duplicate, even one
racing in from another process, is written once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from reminder.status import Status
from reminder.store.engine import write_transaction
from reminder.store.matching import CLOCK_SKEW, LOOK_BACK, decide
from reminder.store.models import UTCDateTime, from_row
from reminder.store.replies import AckQuestion, Reply
from reminder.store.sql.tables import CHUNK, EVENT, MESSAGE
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
        if not replies:
            return []
        with write_transaction(self.engine) as connection:
            questions = open_questions(connection, replies)
            outcomes: list[ReplyOutcome | None] = []
            acknowledged: list[tuple[int, int]] = []  # (message id, reply id)
            statement = _insert(connection, REPLY).returning(REPLY.c.id)
            for reply in replies:
                outcome, question = _judge(reply, questions.get(reply.sender, ()))
                reply_id = connection.execute(statement, _values(reply, outcome, question))
                added = reply_id.scalar()
                if added is None:  # a duplicate, written earlier or by another process meanwhile
                    outcomes.append(None)
                    continue
                outcomes.append(outcome)
                if question is not None:
                    acknowledged.append((question.message_id, added))
            _acknowledge(connection, acknowledged, now)
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


def _judge(
    reply: NewReply, questions: Sequence[OpenQuestion]
) -> tuple[ReplyOutcome, OpenQuestion | None]:
    if reply.opted_out:
        return ReplyOutcome.opted_out, None
    return decide(reply.words, reply.received_at, questions)


def _values(
    reply: NewReply, outcome: ReplyOutcome, question: OpenQuestion | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gateway": reply.gateway,
        "provider_id": reply.provider_id,
        "sender": reply.sender,
        "text": reply.text,
        "received_at": reply.received_at,
        "outcome": outcome.value,
        "message_id": None,
        "campaign": None,
        "push": None,
        "occurrence": None,
        "contact_id": None,
        "asked_at": None,
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
    return values


def _acknowledge(
    connection: Connection, acknowledged: list[tuple[int, int]], now: datetime
) -> None:
    """One event on each acknowledged message, at the status it has (an acknowledgement moves
    nothing)."""
    ids = sorted({message_id for message_id, _ in acknowledged})
    status: dict[int, str] = {}
    for begin in range(0, len(ids), CHUNK):
        chunk = ids[begin : begin + CHUNK]
        query = select(MESSAGE.c.id, MESSAGE.c.status).where(MESSAGE.c.id.in_(chunk))
        status.update((row.id, row.status) for row in connection.execute(query))
    events = [
        {
            "message_id": message_id,
            "at": now,
            "status": status[message_id],
            "previous": status[message_id],
            "source": "reply",
            "error_code": None,
            "detail": f"acknowledged by reply {reply_id}",
        }
        for message_id, reply_id in acknowledged
    ]
    if events:
        connection.execute(insert(EVENT), events)


def open_questions(
    connection: Connection, replies: Sequence[NewReply]
) -> dict[str, list[OpenQuestion]]:
    """By number: the messages to the replies' senders that asked for an answer and may still
    take one of them (`decide` judges each reply's time), read 500 numbers at a time."""
    senders = sorted({r.sender for r in replies if not r.opted_out})
    if not senders:
        return {}
    since = min(r.received_at for r in replies) - LOOK_BACK
    until = max(r.received_at for r in replies) + CLOCK_SKEW
    found: dict[str, list[OpenQuestion]] = {}
    for begin in range(0, len(senders), CHUNK):
        chunk = {"senders": senders[begin : begin + CHUNK], "since": since, "until": until}
        for row in connection.execute(OPEN_QUESTIONS, chunk):
            found.setdefault(row.recipient, []).append(
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
            )
    return found


def _open_query() -> Any:
    """The open questions of some numbers (`senders`) in a time range (`since`, `until`):
    built once, its compiled form cached by SQLAlchemy."""
    joined = MESSAGE.join(
        QUESTION,
        and_(
            QUESTION.c.campaign == MESSAGE.c.campaign,
            QUESTION.c.push == MESSAGE.c.push,
            QUESTION.c.occurrence == MESSAGE.c.occurrence,
        ),
    )
    return (
        select(
            MESSAGE.c.id,
            MESSAGE.c.recipient,
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
            MESSAGE.c.recipient.in_(bindparam("senders", expanding=True)),
            or_(
                and_(
                    MESSAGE.c.sent_at >= bindparam("since", type_=UTCDateTime()),
                    MESSAGE.c.sent_at <= bindparam("until", type_=UTCDateTime()),
                    MESSAGE.c.status.in_([s.value for s in ACCEPTED]),
                ),
                and_(MESSAGE.c.sent_at.is_(None), MESSAGE.c.status.in_(BEING_SENT)),
            ),
        )
    )


OPEN_QUESTIONS = _open_query()
