"""Claiming on SQLite, the dispatcher's hot path: one statement through the driver.

`UPDATE … WHERE id IN (the oldest planned candidates) RETURNING …` moves the candidates and
reads their rows at once (no list of ids read first and sent back), and the rows are converted
here as the column types would (the occurrence a date, the variables from JSON, timestamps aware
UTC datetimes), without the result machinery of a compiled statement: the dispatcher claims
thousands of messages a second. Run inside a transaction that holds SQLite's write lock, so the
candidates are still planned when they are moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from reminder.status import Status
from reminder.store.models import Message, UTCDateTime, from_values
from reminder.store.sql.tables import MESSAGE, sqlite_stamp
from reminder.store.values import Selection

_COLUMNS = [column.name for column in MESSAGE.c]
_ID = _COLUMNS.index("id")
_OCCURRENCE = _COLUMNS.index("occurrence")
_VARIABLES = _COLUMNS.index("variables")
_DATETIMES = [i for i, c in enumerate(MESSAGE.c) if isinstance(c.type, UTCDateTime)]
_SELECTION = (
    ("campaign", "campaign = ?"),
    ("push", "push = ?"),
    ("occurrence", "occurrence = ?"),
    ("since", "occurrence >= ?"),
    ("until", "occurrence <= ?"),
)


@dataclass(frozen=True)
class SqliteClaim:
    """Claim up to `limit` planned messages of `selection` for `owner` (oldest first), leaving
    out paused campaigns and messages deferred past `now`."""

    selection: Selection
    gateway: str
    owner: str
    now: datetime
    claimed_at: datetime
    limit: int

    def run(self, connection: Connection) -> tuple[list[Message], list[int]]:
        """Claim; the claimed messages by id and their ids (none when nothing is left to
        claim)."""
        sql, parameters = self._statement()
        rows = sorted(connection.exec_driver_sql(sql, parameters).fetchall(), key=itemgetter(_ID))
        read = _Reader()
        return [read.message(row) for row in rows], [row[_ID] for row in rows]

    def _statement(self) -> tuple[str, tuple[Any, ...]]:
        conditions, values = ["status = ?"], [Status.planned.value]
        for field_name, condition in _SELECTION:
            value = getattr(self.selection, field_name)
            if value is not None:
                conditions.append(condition)
                values.append(value.isoformat() if isinstance(value, date) else value)
        candidates = (
            "SELECT id FROM message WHERE "
            + " AND ".join(conditions)
            + " AND campaign NOT IN (SELECT campaign FROM campaign_state WHERE paused)"
            + " AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?"
        )
        sql = (
            "UPDATE message SET status = ?, gateway = ?, claimed_by = ?, claimed_at = ?, "
            f"updated_at = ? WHERE id IN ({candidates}) RETURNING " + ", ".join(_COLUMNS)
        )
        head = (
            Status.sending.value,
            self.gateway,
            self.owner,
            sqlite_stamp(self.claimed_at),
            sqlite_stamp(self.now),
        )
        return sql, (*head, *values, sqlite_stamp(self.now), self.limit)


class _Reader:
    """Rows to messages, the column types' conversions done by hand. A claimed batch shares a
    few timestamps (planned together, claimed together) and dates: each is parsed once."""

    def __init__(self) -> None:
        self._moments: dict[str, datetime] = {}
        self._days: dict[str, date] = {}

    def message(self, row: Any) -> Message:
        """The message of one row of `_COLUMNS`."""
        values = list(row)
        values[_OCCURRENCE] = self._day(values[_OCCURRENCE])
        values[_VARIABLES] = json.loads(values[_VARIABLES])
        for position in _DATETIMES:
            if values[position] is not None:
                values[position] = self._moment(values[position])
        return from_values(Message, dict(zip(_COLUMNS, values, strict=True)))

    def _day(self, text: str) -> date:
        found = self._days.get(text)
        if found is None:
            found = self._days[text] = date.fromisoformat(text)
        return found

    def _moment(self, text: str) -> datetime:
        found = self._moments.get(text)
        if found is None:
            found = self._moments[text] = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return found
