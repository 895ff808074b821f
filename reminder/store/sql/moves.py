"""Status moves: every write that takes a message forward, and the events that record them.

Every update is conditional on the status read in the same transaction (`WHERE status = …`),
so two processes can never move one message twice, and a stale or repeated update never moves
a message backwards (ARCHITECTURE.md invariant 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from reminder.status import Status, can_move
from reminder.store.engine import write_transaction
from reminder.store.sql.tables import (
    EVENT,
    MESSAGE,
    add_events,
    add_same_events_sqlite,
    selected,
    sqlite_stamp,
)
from reminder.store.values import Selection, SkipReason

#: The messages of a list still `sending` or `unknown` (those `record_sent` may move).
_SENDABLE = (
    select(MESSAGE.c.id)
    .where(
        MESSAGE.c.id.in_(bindparam("ids", expanding=True)),
        MESSAGE.c.status.in_([Status.sending.value, Status.unknown.value]),
    )
    .with_for_update()
)  # rendered nothing on SQLite, whose write transaction holds the lock
#: One message accepted by its provider (run once per message, as one executemany).
_MARK_SENT = (
    update(MESSAGE)
    .where(MESSAGE.c.id == bindparam("mid"))
    .values(
        status=bindparam("status"),
        updated_at=bindparam("now"),
        sent_at=bindparam("now"),
        attempts=MESSAGE.c.attempts + 1,
        error_code=None,
        error_text=None,
        provider_id=bindparam("pid"),
    )
)


class MoveQueries:
    """The store's status moves (a part of `SqlStore`)."""

    engine: Engine

    def transition(
        self,
        message_id: int,
        new: Status,
        now: datetime,
        *,
        source: str,
        fields: dict[str, Any] | None = None,
        error_code: str | None = None,
        detail: str | None = None,
        count_attempt: bool = False,
    ) -> bool:
        """Move one message forward to `new`, appending an event; False if it cannot move.

        The update is conditional on the current status, so it is atomic across processes.
        """
        if new is Status.skipped:
            raise ValueError("a message is skipped with its reason: use `skip`")
        return self._move(message_id, new, now, source, fields, error_code, detail, count_attempt)

    def skip(
        self, message_id: int, reason: SkipReason, now: datetime, *, source: str, detail: str
    ) -> bool:
        """Move one message to `skipped` for `reason`, `detail` its `error_text`; False if it
        cannot move."""
        fields = {"skip_reason": reason.value, "error_text": detail}
        return self._move(message_id, Status.skipped, now, source, fields, None, detail, False)

    def _move(
        self,
        message_id: int,
        new: Status,
        now: datetime,
        source: str,
        fields: dict[str, Any] | None,
        error_code: str | None,
        detail: str | None,
        count_attempt: bool,
    ) -> bool:
        allowed = [s.value for s in Status if can_move(s, new)]
        values: dict[str, Any] = {"status": new.value, "updated_at": now, **(fields or {})}
        if count_attempt:
            values["attempts"] = MESSAGE.c.attempts + 1
        if error_code is not None or detail is not None:
            values.setdefault("error_code", error_code)
            values.setdefault("error_text", detail)
        with write_transaction(self.engine) as connection:
            previous = connection.execute(
                select(MESSAGE.c.status).where(MESSAGE.c.id == message_id)
            ).scalar_one_or_none()
            if previous is None or previous not in allowed:
                return False
            result = connection.execute(
                update(MESSAGE)
                .where(MESSAGE.c.id == message_id, MESSAGE.c.status == previous)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            connection.execute(
                insert(EVENT).values(
                    message_id=message_id,
                    at=now,
                    status=new.value,
                    previous=previous,
                    source=source,
                    error_code=error_code,
                    detail=detail,
                )
            )
        return True

    def settle_planned(
        self, selection: Selection, new: Status, now: datetime, *, source: str, detail: str
    ) -> int:
        """Move every message of `selection` still `planned` to `new` (expired, canceled) in one
        transaction, with an event each; returns how many moved. A message claimed meanwhile
        is not `planned` any more and is left alone."""
        if not can_move(Status.planned, new) or new is Status.skipped:
            raise ValueError(f"a planned message cannot be settled as {new.value}")
        with write_transaction(self.engine) as connection:
            moved = list(
                connection.execute(
                    update(MESSAGE)
                    .where(*selected(selection), MESSAGE.c.status == Status.planned.value)
                    .values(status=new.value, updated_at=now, error_code=None, error_text=detail)
                    .returning(MESSAGE.c.id)
                ).scalars()
            )
            add_events(connection, moved, now, new, Status.planned, source, detail)
        return len(moved)

    def record_sent(
        self, accepted: Sequence[tuple[int, str | None, str]], now: datetime
    ) -> list[int]:
        """Mark several messages sent in one transaction: (id, provider id, event detail).

        Only messages still `sending` or `unknown` move; returns the ids that did.
        """
        if not accepted:
            return []
        ids = [message_id for message_id, _, _ in accepted]
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "sqlite" and _all_sent_sqlite(connection, accepted, now):
                return ids
            # The rows are locked first (SQLite: the transaction holds the write lock; others:
            # FOR UPDATE), then one cached UPDATE statement runs for all of them: a CASE over
            # the provider ids cost a compilation per batch (bench/README.md).
            moved = set(connection.execute(_SENDABLE, {"ids": ids}).scalars())
            rows = [(i, provider, detail) for i, provider, detail in accepted if i in moved]
            if rows and connection.dialect.name == "sqlite":
                _sent_sqlite(connection, rows, now)
            elif rows:
                connection.execute(
                    _MARK_SENT,
                    [
                        {"mid": i, "pid": provider, "now": now, "status": Status.sent.value}
                        for i, provider, _ in rows
                    ],
                )
                connection.execute(
                    insert(EVENT),
                    [
                        {
                            "message_id": i,
                            "at": now,
                            "status": Status.sent.value,
                            "previous": Status.sending.value,
                            "source": "gateway",
                            "detail": detail,
                        }
                        for i, _, detail in rows
                    ],
                )
        return [i for i, _, _ in rows]

    def record_attempt(
        self, message_id: int, now: datetime, *, error_code: str | None, error_text: str
    ) -> None:
        """Count one failed attempt that will be retried; the status stays `sending`."""
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(MESSAGE)
                .where(MESSAGE.c.id == message_id)
                .values(
                    attempts=MESSAGE.c.attempts + 1,
                    error_code=error_code,
                    error_text=error_text,
                    updated_at=now,
                )
            )
            connection.execute(
                insert(EVENT).values(
                    message_id=message_id,
                    at=now,
                    status=Status.sending.value,
                    previous=Status.sending.value,
                    source="gateway",
                    error_code=error_code,
                    detail=f"retryable: {error_text}",
                )
            )

    def note(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        error_code: str | None = None,
    ) -> None:
        """Append an event that changes nothing (a duplicate or late receipt, a lookup)."""
        with write_transaction(self.engine) as connection:
            status = connection.execute(
                select(MESSAGE.c.status).where(MESSAGE.c.id == message_id)
            ).scalar_one()
            connection.execute(
                insert(EVENT).values(
                    message_id=message_id,
                    at=now,
                    status=status,
                    previous=status,
                    source=source,
                    error_code=error_code,
                    detail=detail,
                )
            )


#: `_MARK_SENT` for the driver, its constants written in (the statuses are ours, not input):
#: three values to bind a row instead of seven.
_MARK_SENT_SQLITE = (
    f"UPDATE message SET status = '{Status.sent.value}', updated_at = ?1, sent_at = ?1, "
    "attempts = attempts + 1, error_code = NULL, error_text = NULL, provider_id = ?2 "
    f"WHERE id = ?3 AND status IN ('{Status.sending.value}', '{Status.unknown.value}')"
)


def _all_sent_sqlite(
    connection: Connection, rows: Sequence[tuple[int, str | None, str]], now: datetime
) -> bool:
    """`record_sent` on SQLite when every message is still sendable, as all but a rare one are:
    the conditional update alone, without first reading which may move. When one may not (a
    receipt or another process got there first), nothing is written and the answer is False."""
    connection.exec_driver_sql("SAVEPOINT record_sent")
    if _sent_sqlite(connection, rows, now) == len(rows):
        connection.exec_driver_sql("RELEASE record_sent")
        return True
    connection.exec_driver_sql("ROLLBACK TO record_sent")
    connection.exec_driver_sql("RELEASE record_sent")
    return False


def _sent_sqlite(
    connection: Connection, rows: Sequence[tuple[int, str | None, str]], now: datetime
) -> int:
    """`record_sent`'s writes through the driver's executemany (SQLite's hot path): the same
    rows `_MARK_SENT` and the events would write, without SQLAlchemy's per-row binding. Only
    messages still `sending` or `unknown` move; returns how many did (the events are written for
    every row: the caller knows them all sendable, or rolls back)."""
    stamp, sent = sqlite_stamp(now), Status.sent.value
    moved = connection.exec_driver_sql(
        _MARK_SENT_SQLITE, [(stamp, provider, i) for i, provider, _ in rows]
    ).rowcount
    by_detail: dict[str, list[int]] = {}
    for i, _, detail in rows:
        by_detail.setdefault(detail, []).append(i)
    for detail, ids in by_detail.items():  # one detail for nearly all: "accepted (queued)"
        add_same_events_sqlite(
            connection, ids, (stamp, sent, Status.sending.value, "gateway", detail)
        )
    return int(moved)
