"""The `Store`: every query the engine makes, in one place.

Writes are conditional updates (`WHERE status IN …`), so two processes can never move one
message twice, and a stale or repeated update never moves a message backwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from reminder.errors import OperationalError
from reminder.status import Status, can_move
from reminder.store import migrate
from reminder.store.models import DeliveryEvent, Message

MESSAGE = Message.__table__  # type: ignore[attr-defined]
EVENT = DeliveryEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewMessage:
    """What planning hands to the store for one message."""

    campaign: str
    push: str
    occurrence: date
    contact_id: str
    recipient: str
    body: str
    segments: int
    encoding: str
    template: str
    variables: dict[str, str]
    case_id: str | None
    status: Status = Status.planned
    error_text: str | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files run in WAL mode with foreign keys on."""
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise OperationalError(
            f"cannot use database_url: {_without_password(url)}: {exc}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def open_store(url: str, *, migrate_schema: bool = True) -> Store:
    """Open the store at `url`, bringing its schema up to date unless told not to."""
    engine = make_engine(url)
    try:
        if migrate_schema:
            migrate.upgrade(engine)
        elif migrate.current_revision(engine) is None:
            raise OperationalError("the database has no reminder schema yet")
    except SQLAlchemyError as exc:
        engine.dispose()
        raise OperationalError(
            f"cannot open the store at {_without_password(url)}: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', exc)}"
        ) from None
    return Store(engine)


class Store:
    """Messages and delivery events; the truth about what was planned and sent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # --- planning -------------------------------------------------------------------------

    def statuses(self, campaign: str, push: str, occurrence: date) -> dict[str, Status]:
        """The status of every message already planned for one occurrence, by contact id."""
        query = select(MESSAGE.c.contact_id, MESSAGE.c.status).where(
            MESSAGE.c.campaign == campaign,
            MESSAGE.c.push == push,
            MESSAGE.c.occurrence == occurrence,
        )
        with self.engine.connect() as connection:
            return {row.contact_id: Status(row.status) for row in connection.execute(query)}

    def add_planned(self, messages: Sequence[NewMessage], now: datetime) -> list[int]:
        """Insert the messages not planned yet; returns the ids of the rows this call added.

        The unique key makes planning idempotent, even with two planners at once.
        """
        if not messages:
            return []
        rows = [
            {
                **{k: getattr(m, k) for k in NewMessage.__dataclass_fields__},
                "status": m.status.value,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for m in messages
        ]
        dialect = self.engine.dialect.name
        statement: Any
        if dialect == "postgresql":
            statement = postgresql.insert(MESSAGE).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(MESSAGE).on_conflict_do_nothing()
        else:  # pragma: no cover - other databases are not supported yet
            statement = insert(MESSAGE)
        statement = statement.returning(MESSAGE.c.id, MESSAGE.c.status)
        with self.engine.begin() as connection:
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
        return sorted(row.id for row in added)

    # --- dispatch -------------------------------------------------------------------------

    def planned_ids(self, campaign: str, push: str, occurrence: date) -> list[int]:
        """Ids of the messages of one occurrence that wait to be sent, oldest first."""
        query = (
            select(MESSAGE.c.id)
            .where(
                MESSAGE.c.campaign == campaign,
                MESSAGE.c.push == push,
                MESSAGE.c.occurrence == occurrence,
                MESSAGE.c.status == Status.planned.value,
            )
            .order_by(MESSAGE.c.id)
        )
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def claim(self, message_id: int, gateway: str, now: datetime) -> Message | None:
        """Move one planned message to `sending` for `gateway`; None if someone else has it."""
        moved = self.transition(
            message_id, Status.sending, now, source="dispatch", fields={"gateway": gateway}
        )
        return self.get(message_id) if moved else None

    def record_attempt(
        self, message_id: int, now: datetime, *, error_code: str | None, error_text: str
    ) -> None:
        """Count one failed attempt that will be retried; the status stays `sending`."""
        with self.engine.begin() as connection:
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
        allowed = [s.value for s in Status if can_move(s, new)]
        values: dict[str, Any] = {"status": new.value, "updated_at": now, **(fields or {})}
        if count_attempt:
            values["attempts"] = MESSAGE.c.attempts + 1
        if error_code is not None or detail is not None:
            values.setdefault("error_code", error_code)
            values.setdefault("error_text", detail)
        with self.engine.begin() as connection:
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

    # --- reading --------------------------------------------------------------------------

    def get(self, message_id: int) -> Message | None:
        """One message by id."""
        with self.engine.connect() as connection:
            row = connection.execute(select(MESSAGE).where(MESSAGE.c.id == message_id)).first()
        return Message.model_validate(row._mapping) if row else None

    def messages(
        self,
        *,
        campaign: str | None = None,
        statuses: Iterable[Status] = (),
        occurrence: date | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages, newest first, optionally filtered."""
        query = select(MESSAGE).order_by(MESSAGE.c.id.desc())
        if campaign is not None:
            query = query.where(MESSAGE.c.campaign == campaign)
        wanted = [s.value for s in statuses]
        if wanted:
            query = query.where(MESSAGE.c.status.in_(wanted))
        if occurrence is not None:
            query = query.where(MESSAGE.c.occurrence == occurrence)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [Message.model_validate(row._mapping) for row in connection.execute(query)]

    def events(self, message_id: int) -> list[DeliveryEvent]:
        """Every event of one message, in the order they were appended."""
        query = select(EVENT).where(EVENT.c.message_id == message_id).order_by(EVENT.c.id)
        with self.engine.connect() as connection:
            return [DeliveryEvent.model_validate(row._mapping) for row in connection.execute(query)]

    def status_counts(
        self, campaign: str, push: str | None = None, occurrence: date | None = None
    ) -> Counter[str]:
        """How many messages are in each status."""
        query = select(MESSAGE.c.status, func.count()).where(MESSAGE.c.campaign == campaign)
        if push is not None:
            query = query.where(MESSAGE.c.push == push)
        if occurrence is not None:
            query = query.where(MESSAGE.c.occurrence == occurrence)
        query = query.group_by(MESSAGE.c.status)
        with self.engine.connect() as connection:
            return Counter({status: count for status, count in connection.execute(query)})
