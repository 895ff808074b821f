"""Planning's queries: what an occurrence already has, and the insert of new messages.

The unique key on `(campaign, push, occurrence, contact_id)` makes planning idempotent, even
with two planners at once: a message planned already is left alone (`ON CONFLICT DO NOTHING`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.dialects import postgresql

from reminder.status import Status
from reminder.store.engine import write_transaction
from reminder.store.sql.tables import CHUNK, EVENT, MESSAGE, selected
from reminder.store.values import NewMessage, Selection


class PlanningQueries:
    """The store's planning operations (a part of `SqlStore`)."""

    engine: Engine

    def statuses_of(
        self, campaign: str, push: str, occurrence: date, contact_ids: Sequence[str]
    ) -> dict[str, Status]:
        """The status of the message of each of `contact_ids` that has one for this occurrence."""
        found: dict[str, Status] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(contact_ids), CHUNK):
                query = select(MESSAGE.c.contact_id, MESSAGE.c.status).where(
                    *selected(Selection(campaign, push, occurrence)),
                    MESSAGE.c.contact_id.in_(list(contact_ids[start : start + CHUNK])),
                )
                found.update(
                    (row.contact_id, Status(row.status)) for row in connection.execute(query)
                )
        return found

    def add_planned_batches(self, batches: Iterable[Sequence[NewMessage]], now: datetime) -> int:
        """Insert batches of messages in one transaction; returns how many rows were added.

        The batches may be produced lazily (rendering as they go), so memory stays bounded; if
        producing one raises, nothing at all is written.
        """
        if now.tzinfo is None:  # as `UTCDateTime` would, but before anything is rendered
            raise ValueError("the store keeps aware datetimes only")
        pending = iter(batches)
        # The first batch is rendered before the write lock is taken, as every later one is
        # rendered while it is held: other processes keep writing meanwhile.
        first = next(pending, None)
        if first is None:
            return 0
        added = 0
        with write_transaction(self.engine) as connection:
            for batch in chain([first], pending):
                added += self._insert_planned(connection, batch, now)
        return added

    def has_planned(self, campaign: str, push: str, occurrence: date) -> bool:
        """Whether any message of this occurrence is in the store."""
        query = (
            select(MESSAGE.c.id).where(*selected(Selection(campaign, push, occurrence))).limit(1)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def _insert_planned(
        self, connection: Connection, messages: Sequence[NewMessage], now: datetime
    ) -> int:
        """Insert the messages not planned yet, with a `plan` event each; returns how many."""
        if not messages:
            return 0
        if self.engine.dialect.name == "sqlite":
            return _insert_planned_sqlite(connection, messages, now)
        rows = [
            {
                **{k: getattr(m, k) for k in NewMessage.__dataclass_fields__},
                "status": m.status.value,
                "skip_reason": m.skip_reason.value if m.skip_reason else None,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for m in messages
        ]
        statement: Any
        if self.engine.dialect.name == "postgresql":
            statement = postgresql.insert(MESSAGE).on_conflict_do_nothing()
        else:  # pragma: no cover - other databases are not supported yet
            statement = insert(MESSAGE)
        statement = statement.returning(MESSAGE.c.id, MESSAGE.c.status)
        added = connection.execute(statement, rows).all()
        if added:
            connection.execute(
                insert(EVENT),
                [
                    {
                        "message_id": row.id,
                        "at": now,
                        "status": row.status,
                        "previous": None,
                        "source": "plan",
                    }
                    for row in added
                ],
            )
        return len(added)


def _insert_planned_sqlite(
    connection: Connection, messages: Sequence[NewMessage], now: datetime
) -> int:
    """The same insert through the driver's executemany, for SQLite's hot path.

    The transaction began IMMEDIATE (`write_transaction`): it has held SQLite's write lock
    since before `max(id)` was read, so every row with an id above it is ours; their events
    are written by one INSERT … SELECT.
    """
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    before = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM message").scalar()
    connection.exec_driver_sql(
        "INSERT OR IGNORE INTO message (campaign, push, occurrence, contact_id, recipient, "
        "body, segments, encoding, template, variables, case_id, status, attempts, "
        "error_text, skip_reason, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
        [
            (
                m.campaign,
                m.push,
                m.occurrence.isoformat(),
                m.contact_id,
                m.recipient,
                m.body,
                m.segments,
                m.encoding,
                m.template,
                json.dumps(m.variables, ensure_ascii=False) if m.variables else "{}",
                m.case_id,
                m.status.value,
                m.error_text,
                m.skip_reason.value if m.skip_reason else None,
                stamp,
                stamp,
            )
            for m in messages
        ],
    )
    connection.exec_driver_sql(
        "INSERT INTO delivery_event (message_id, at, status, previous, source) "
        "SELECT id, ?, status, NULL, 'plan' FROM message WHERE id > ?",
        (stamp, before),
    )
    added: int = connection.exec_driver_sql(
        "SELECT count(*) FROM message WHERE id > ?", (before,)
    ).scalar_one()
    return added
