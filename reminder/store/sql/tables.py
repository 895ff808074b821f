"""The tables as SQLAlchemy Core sees them, and the pieces the SQL queries share."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert

from reminder.status import Status
from reminder.store.models import CampaignState, DeliveryEvent, Message, Suppression, from_row
from reminder.store.values import Selection

MESSAGE = Message.__table__  # type: ignore[attr-defined]
EVENT = DeliveryEvent.__table__  # type: ignore[attr-defined]
SUPPRESSION = Suppression.__table__  # type: ignore[attr-defined]
CAMPAIGN_STATE = CampaignState.__table__  # type: ignore[attr-defined]

#: Rows read at a time where a query names many values (`IN (…)`): SQLite's limit on bound
#: parameters is 999 in older builds.
CHUNK = 500


def selected(selection: Selection) -> list[ColumnElement[bool]]:
    """The SQL conditions of a selection of messages."""
    conditions = []
    if selection.campaign is not None:
        conditions.append(MESSAGE.c.campaign == selection.campaign)
    if selection.push is not None:
        conditions.append(MESSAGE.c.push == selection.push)
    if selection.occurrence is not None:
        conditions.append(MESSAGE.c.occurrence == selection.occurrence)
    if selection.since is not None:
        conditions.append(MESSAGE.c.occurrence >= selection.since)
    if selection.until is not None:
        conditions.append(MESSAGE.c.occurrence <= selection.until)
    return conditions


def messages_of(rows: Iterable[Any]) -> list[Message]:
    """Messages from rows read with `select(MESSAGE)`."""
    return [from_row(Message, row._mapping) for row in rows]


def add_events(
    connection: Connection,
    message_ids: Sequence[int],
    now: datetime,
    status: Status,
    previous: Status | None,
    source: str,
    detail: str | None = None,
) -> None:
    """Append the same event to each of `message_ids` (a claim, a settlement)."""
    if connection.dialect.name == "sqlite":
        add_same_events_sqlite(
            connection,
            message_ids,
            (sqlite_stamp(now), status.value, previous.value if previous else None, source, detail),
        )
        return
    # In slices: one statement of a whole occurrence's rows would hold them all in memory twice.
    for start in range(0, len(message_ids), 10_000):
        connection.execute(
            insert(EVENT),
            [
                {
                    "message_id": message_id,
                    "at": now,
                    "status": status.value,
                    "previous": previous.value if previous else None,
                    "source": source,
                    "detail": detail,
                }
                for message_id in message_ids[start : start + 10_000]
            ],
        )


def sqlite_stamp(moment: datetime) -> str:
    """`moment` as the store's DateTime column keeps it on SQLite (UTC, naive)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


#: One event, apart from its message: (`sqlite_stamp`, status, previous, source, detail).
SqliteEvent = tuple[str, str, str | None, str, str | None]


def add_same_events_sqlite(
    connection: Connection, message_ids: Sequence[int], event: SqliteEvent
) -> None:
    """`event` for each of `message_ids`, SQLite's hot path (the dispatcher writes two events a
    message): one statement over the ids sent as a JSON array, not a statement run per row."""
    for start in range(0, len(message_ids), 10_000):
        connection.exec_driver_sql(
            "INSERT INTO delivery_event (message_id, at, status, previous, source, detail) "
            "SELECT value, ?, ?, ?, ?, ? FROM json_each(?)",
            (*event, json.dumps(list(message_ids[start : start + 10_000]))),
        )
