"""Receipts in batches: many status callbacks or polls applied in one transaction.

The rows are read with their status in the transaction (under SQLite's write lock, or locked
`FOR UPDATE` on PostgreSQL, in id order so two batches never wait on each other in a cycle),
each receipt is judged against the status the earlier receipts of the batch left, and every
move is still conditional on the status read, like every other move (`moves.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from reminder.status import Status, can_move
from reminder.store.engine import write_transaction
from reminder.store.sql.tables import CHUNK, EVENT, MESSAGE
from reminder.store.values import Applied, ReceiptUpdate


class ReceiptQueries:
    """The store's receipt batches (a part of `SqlStore`)."""

    engine: Engine

    def apply_receipts(self, updates: Sequence[ReceiptUpdate], now: datetime) -> list[Applied]:
        """Apply receipts in order in one transaction (see the module docstring)."""
        if not updates:
            return []
        with write_transaction(self.engine) as connection:
            current = _current(connection, sorted({u.provider_id for u in updates}))
            start = {key: status for key, (_, status) in current.items()}
            applied: list[Applied] = []
            moves: dict[int, dict[str, Any]] = {}
            events: list[dict[str, Any]] = []
            for update_ in updates:
                found = current.get(update_.provider_id)
                if found is None:
                    applied.append(Applied(None, False))
                    continue
                message_id, status = found
                new = update_.status
                moved = new is not None and new is not status and can_move(status, new)
                if moved:
                    assert new is not None
                    moves[message_id] = {
                        "status": new.value,
                        **update_.fields(),
                        "provider": update_.provider_id,
                    }
                    current[update_.provider_id] = (message_id, new)
                after = new if moved and new is not None else status
                events.append(_event(message_id, now, update_, status, after, moved))
                applied.append(Applied(message_id, moved))
            _write(connection, moves, start, now)
            if events:  # none when no receipt named a message we sent
                connection.execute(insert(EVENT), events)
        return applied


def _current(connection: Connection, provider_ids: list[str]) -> dict[str, tuple[int, Status]]:
    found: dict[str, tuple[int, Status]] = {}
    for begin in range(0, len(provider_ids), CHUNK):
        query = (
            select(MESSAGE.c.id, MESSAGE.c.provider_id, MESSAGE.c.status)
            .where(MESSAGE.c.provider_id.in_(provider_ids[begin : begin + CHUNK]))
            .order_by(MESSAGE.c.id)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        for message_id, provider_id, status in connection.execute(query):
            found[provider_id] = (message_id, Status(status))
    return found


def _event(
    message_id: int,
    now: datetime,
    update_: ReceiptUpdate,
    before: Status,
    after: Status,
    moved: bool,
) -> dict[str, Any]:
    detail = update_.detail if moved else f"{update_.detail} (no change from {before.value})"
    return {
        "message_id": message_id,
        "at": now,
        "status": after.value,
        "previous": before.value,
        "source": update_.source,
        "error_code": update_.error_code,
        "detail": detail,
    }


def _write(
    connection: Connection,
    moves: dict[int, dict[str, Any]],
    start: dict[str, Status],
    now: datetime,
) -> None:
    """Each moved message's last status, conditional on the status it had when read."""
    if not moves:
        return
    statement = (
        update(MESSAGE)
        .where(MESSAGE.c.id == bindparam("message_id"), MESSAGE.c.status == bindparam("was"))
        .values(
            status=bindparam("new"),
            error_code=bindparam("code"),
            error_text=bindparam("text"),
            updated_at=now,
        )
    )
    connection.execute(
        statement,
        [
            {
                "message_id": message_id,
                "was": start[values["provider"]].value,
                "new": values["status"],
                "code": values["error_code"],
                "text": values["error_text"],
            }
            for message_id, values in sorted(moves.items())
        ],
    )
