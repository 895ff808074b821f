"""The state of the in-memory store: message rows, events, the suppression list, paused
campaigns, and the moves every write is made of."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from reminder.status import Status
from reminder.store.models import DeliveryEvent, Message, from_row
from reminder.store.values import NewMessage, Selection

P = ParamSpec("P")
R = TypeVar("R")
Row = dict[str, Any]


class MemoryRows:
    """What an `InMemoryStore` holds. `rows` keeps each message's columns by id, `event_rows`
    every event in order; reads build fresh `Message` and `DeliveryEvent` objects, so changing
    one changes nothing stored."""

    def __init__(self) -> None:
        self.rows: dict[int, Row] = {}
        self.event_rows: list[Row] = []
        self.suppression: dict[str, Row] = {}
        self.paused: set[str] = set()
        self.closed = False
        self.keys: dict[tuple[str, str, date, str], int] = {}
        self.lock = threading.RLock()

    def close(self) -> None:
        """Nothing to release; remembered, so a test can tell the store was closed."""
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- looking inside (not part of the contract) ----------------------------------------

    def get(self, message_id: int) -> Message | None:
        """One message by id."""
        with self.lock:
            row = self.rows.get(message_id)
            return message_of(row) if row is not None else None

    def events(self, message_id: int) -> list[DeliveryEvent]:
        """Every event of one message, in the order they were appended."""
        with self.lock:
            found = [e for e in self.event_rows if e["message_id"] == message_id]
            return [from_row(DeliveryEvent, dict(e)) for e in found]

    def is_paused(self, campaign: str) -> bool:
        """True when the campaign is paused."""
        return campaign in self.paused

    # --- what the writes are made of ------------------------------------------------------

    def selected(self, selection: Selection) -> list[Row]:
        """The rows of `selection`, oldest first."""
        return [
            row
            for row in self.rows.values()
            if selection.matches(row["campaign"], row["push"], row["occurrence"])
        ]

    def move(
        self,
        row: Row,
        new: Status,
        now: datetime,
        source: str,
        values: Row,
        error_code: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Set `row`'s status and `values`, and append the event."""
        previous = row["status"]
        row.update(
            {k: utc(v) if isinstance(v, datetime) else v for k, v in values.items()},
            status=new.value,
            updated_at=now,
        )
        self.add_event(row["id"], now, new.value, previous, source, error_code, detail)

    def add_event(
        self,
        message_id: int,
        at: datetime,
        status: str,
        previous: str | None,
        source: str,
        error_code: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append one event."""
        self.event_rows.append(
            {
                "id": len(self.event_rows) + 1,
                "message_id": message_id,
                "at": at,
                "status": status,
                "previous": previous,
                "source": source,
                "error_code": error_code,
                "detail": detail,
            }
        )


def locked(
    method: Callable[Concatenate[Any, P], R],
) -> Callable[Concatenate[Any, P], R]:
    """Run the method holding the store's lock: a receipt server's thread may share the store
    with a dispatcher's event loop, as they share the SQL one."""

    def run(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    run.__name__, run.__doc__ = method.__name__, method.__doc__
    return run


def utc(value: datetime) -> datetime:
    """`value` in UTC; as the SQL store, aware datetimes only."""
    if value.tzinfo is None:
        raise ValueError("the store keeps aware datetimes only")
    return value.astimezone(UTC)


def new_row(message_id: int, message: NewMessage, now: datetime) -> Row:
    """The columns of a newly planned message."""
    return {
        "id": message_id,
        "campaign": message.campaign,
        "push": message.push,
        "occurrence": message.occurrence,
        "contact_id": message.contact_id,
        "recipient": message.recipient,
        "body": message.body,
        "segments": message.segments,
        "encoding": message.encoding,
        "template": message.template,
        "variables": dict(message.variables),
        "case_id": message.case_id,
        "gateway": None,
        "provider_id": None,
        "status": message.status.value,
        "attempts": 0,
        "error_code": None,
        "error_text": message.error_text,
        "skip_reason": message.skip_reason.value if message.skip_reason else None,
        "created_at": now,
        "updated_at": now,
        "sent_at": None,
        "claimed_by": None,
        "claimed_at": None,
        "not_before": None,
    }


def message_of(row: Row) -> Message:
    """A `Message` from a copy of `row` (its `variables` too): what a caller changes is not
    stored."""
    return from_row(Message, {**row, "variables": dict(row["variables"])})
