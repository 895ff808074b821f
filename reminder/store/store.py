"""The `Store`: every query the engine makes, in one place.

Writes are conditional updates (`WHERE status IN …`), so two processes can never move one
message twice, and a stale or repeated update never moves a message backwards.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import chain
from typing import Any

from sqlalchemy import Engine, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from reminder.errors import OperationalError
from reminder.status import REQUEUABLE, Status, can_move
from reminder.store import migrate
from reminder.store.engine import make_engine, without_password, write_transaction
from reminder.store.models import CampaignState, DeliveryEvent, Message, Suppression, from_row

MESSAGE = Message.__table__  # type: ignore[attr-defined]
EVENT = DeliveryEvent.__table__  # type: ignore[attr-defined]
SUPPRESSION = Suppression.__table__  # type: ignore[attr-defined]
CAMPAIGN_STATE = CampaignState.__table__  # type: ignore[attr-defined]


class SkipReason(StrEnum):
    """Why a message is `skipped`: a closed set, kept in the message's `skip_reason` column
    (its `error_text` keeps the words a person reads). Expired and canceled messages have
    statuses of their own and no skip reason."""

    #: The number is on the suppression list (a STOP reply, an operator, the provider's
    #: "unsubscribed"), at planning or found at dispatch.
    suppressed = "suppressed"
    #: The number already had the per-number cap of messages in the last 24 hours.
    per_number_cap = "per_number_cap"


@dataclass(frozen=True)
class Selection:
    """Which messages a dispatch works on: a campaign, optionally one push and one date."""

    campaign: str | None = None
    push: str | None = None
    occurrence: date | None = None

    def where(self) -> list[Any]:
        """The matching SQL conditions."""
        conditions = []
        if self.campaign is not None:
            conditions.append(MESSAGE.c.campaign == self.campaign)
        if self.push is not None:
            conditions.append(MESSAGE.c.push == self.push)
        if self.occurrence is not None:
            conditions.append(MESSAGE.c.occurrence == self.occurrence)
        return conditions


@dataclass(slots=True)
class NewMessage:
    """What planning hands to the store for one message. A value: never changed once made (not
    `frozen`: a frozen dataclass costs ~2 µs more to build, per message planned)."""

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
    skip_reason: SkipReason | None = None


def open_store(url: str, *, migrate_schema: bool = True) -> Store:
    """Open the store at `url`, bringing its schema up to date unless told not to."""
    engine = make_engine(url)
    try:
        if migrate_schema:
            migrate.upgrade(engine)
        elif migrate.current_revision(engine) is None:
            engine.dispose()
            raise OperationalError("the database has no reminder schema yet")
    except SQLAlchemyError as exc:
        engine.dispose()
        raise OperationalError(
            f"cannot open the store at {without_password(url)}: {exc.__class__.__name__}: "
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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- planning -------------------------------------------------------------------------

    def statuses_of(
        self, campaign: str, push: str, occurrence: date, contact_ids: Sequence[str]
    ) -> dict[str, Status]:
        """The status of the message of each of `contact_ids` that has one for this occurrence."""
        found: dict[str, Status] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(contact_ids), 500):
                query = select(MESSAGE.c.contact_id, MESSAGE.c.status).where(
                    *Selection(campaign, push, occurrence).where(),
                    MESSAGE.c.contact_id.in_(list(contact_ids[start : start + 500])),
                )
                found.update(
                    (row.contact_id, Status(row.status)) for row in connection.execute(query)
                )
        return found

    def add_planned(self, messages: Sequence[NewMessage], now: datetime) -> list[int]:
        """Insert the messages not planned yet; returns the ids of the rows this call added.

        The unique key makes planning idempotent, even with two planners at once.
        """
        if not messages:
            return []
        with write_transaction(self.engine) as connection:
            return self._insert_planned(connection, messages, now)

    def add_planned_batches(self, batches: Iterable[Sequence[NewMessage]], now: datetime) -> int:
        """Insert batches of messages in one transaction; returns how many rows were added.

        The batches may be produced lazily (rendering as they go), so memory stays bounded; if
        producing one raises, nothing at all is written.
        """
        pending = iter(batches)
        # The first batch is rendered before the write lock is taken, as every later one is
        # rendered while it is held: other processes keep writing meanwhile.
        first = next(pending, None)
        if first is None:
            return 0
        added = 0
        with write_transaction(self.engine) as connection:
            for batch in chain([first], pending):
                added += len(self._insert_planned(connection, batch, now))
        return added

    def _insert_planned(
        self, connection: Any, messages: Sequence[NewMessage], now: datetime
    ) -> list[int]:
        if not messages:
            return []
        if self.engine.dialect.name == "sqlite":
            return self._insert_planned_sqlite(connection, messages, now)
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
        dialect = self.engine.dialect.name
        statement: Any
        if dialect == "postgresql":
            statement = postgresql.insert(MESSAGE).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(MESSAGE).on_conflict_do_nothing()
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
        return sorted(row.id for row in added)

    def _insert_planned_sqlite(
        self, connection: Any, messages: Sequence[NewMessage], now: datetime
    ) -> list[int]:
        """The same insert through the driver's executemany, for SQLite's hot path.

        The transaction began IMMEDIATE (`write_transaction`): it has held SQLite's write lock
        since before `max(id)` was read, so every row with an id above it is ours; their events
        are written by one INSERT … SELECT.
        """
        if now.tzinfo is None:
            raise ValueError("the store keeps aware datetimes only")
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
        return list(
            connection.exec_driver_sql(
                "SELECT id FROM message WHERE id > ? ORDER BY id", (before,)
            ).scalars()
        )

    def has_planned(self, campaign: str, push: str, occurrence: date) -> bool:
        """Whether any message of this occurrence is in the store."""
        query = select(MESSAGE.c.id).where(*Selection(campaign, push, occurrence).where()).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    # --- dispatch -------------------------------------------------------------------------

    def claim(
        self,
        message_id: int,
        gateway: str,
        now: datetime,
        owner: str = "",
        claimed_at: datetime | None = None,
    ) -> Message | None:
        """Move one planned message to `sending` for `gateway`; None if someone else has it.
        `claimed_at` is the claiming machine's wall-clock time (default: `now`)."""
        moved = self.transition(
            message_id,
            Status.sending,
            now,
            source="dispatch",
            fields={
                "gateway": gateway,
                "claimed_by": owner or None,
                "claimed_at": claimed_at or now,
            },
        )
        return self.get(message_id) if moved else None

    def claim_batch(
        self,
        selection: Selection,
        gateway: str,
        owner: str,
        now: datetime,
        limit: int,
        claimed_at: datetime | None = None,
    ) -> list[Message]:
        """Claim up to `limit` planned messages (oldest first) of campaigns that are not paused.

        One conditional UPDATE: a message claimed by another dispatcher is never returned.
        `claimed_at` is the claiming machine's wall-clock time (default: `now`): where a
        provider lookup of these messages starts after a crash.
        """
        paused = select(CAMPAIGN_STATE.c.campaign).where(CAMPAIGN_STATE.c.paused.is_(True))
        candidates = (
            select(MESSAGE.c.id)
            .where(
                *selection.where(),
                MESSAGE.c.status == Status.planned.value,
                MESSAGE.c.campaign.not_in(paused),
            )
            .order_by(MESSAGE.c.id)
            .limit(limit)
        )
        with write_transaction(self.engine) as connection:
            ids = list(connection.scalars(candidates))
            if not ids:
                return []
            claimed = (
                connection.execute(
                    update(MESSAGE)
                    .where(MESSAGE.c.id.in_(ids), MESSAGE.c.status == Status.planned.value)
                    .values(
                        status=Status.sending.value,
                        gateway=gateway,
                        claimed_by=owner,
                        claimed_at=claimed_at or now,
                        updated_at=now,
                    )
                    .returning(MESSAGE.c.id)
                )
                .scalars()
                .all()
            )
            if not claimed:
                return []
            connection.execute(
                insert(EVENT),
                [
                    {
                        "message_id": i,
                        "at": now,
                        "status": Status.sending.value,
                        "previous": Status.planned.value,
                        "source": "dispatch",
                    }
                    for i in claimed
                ],
            )
            rows = connection.execute(
                select(MESSAGE).where(MESSAGE.c.id.in_(claimed)).order_by(MESSAGE.c.id)
            )
            return [from_row(Message, row._mapping) for row in rows]

    def release(self, message_ids: Iterable[int], owner: str, now: datetime, reason: str) -> int:
        """Give back messages this owner claimed but never sent (`sending → planned`)."""
        released = 0
        for message_id in message_ids:
            released += self._back_to_planned(
                message_id,
                now,
                source="dispatch",
                detail=reason,
                only_from={Status.sending},
                owner=owner,
            )
        return released

    def requeue(self, message_id: int, now: datetime, *, source: str, detail: str) -> bool:
        """Put a failed, unknown or abandoned message back to `planned` (operator retry, or a
        reconciliation that found the provider never received it)."""
        return bool(
            self._back_to_planned(
                message_id, now, source=source, detail=detail, only_from=set(REQUEUABLE)
            )
        )

    def _back_to_planned(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        only_from: set[Status],
        owner: str | None = None,
    ) -> int:
        conditions = [
            MESSAGE.c.id == message_id,
            MESSAGE.c.status.in_([s.value for s in only_from]),
        ]
        if owner is not None:
            conditions.append(MESSAGE.c.claimed_by == owner)
        with write_transaction(self.engine) as connection:
            previous = connection.execute(
                select(MESSAGE.c.status).where(*conditions)
            ).scalar_one_or_none()
            if previous is None:
                return 0
            result = connection.execute(
                update(MESSAGE)
                .where(*conditions, MESSAGE.c.status == previous)
                .values(status=Status.planned.value, claimed_by=None, updated_at=now)
            )
            if result.rowcount != 1:
                return 0
            connection.execute(
                insert(EVENT).values(
                    message_id=message_id,
                    at=now,
                    status=Status.planned.value,
                    previous=previous,
                    source=source,
                    detail=detail,
                )
            )
        return 1

    def claims(self, selection: Selection, statuses: Iterable[Status]) -> list[Message]:
        """Messages in the given statuses (e.g. `sending` left by a dead process)."""
        query = (
            select(MESSAGE)
            .where(*selection.where(), MESSAGE.c.status.in_([s.value for s in statuses]))
            .order_by(MESSAGE.c.id)
        )
        with self.engine.connect() as connection:
            return [from_row(Message, row._mapping) for row in connection.execute(query)]

    # --- suppression and pause ----------------------------------------------------------------

    def suppress(self, number: str, reason: str, source: str, now: datetime) -> bool:
        """Add a number to the suppression list; False if it was already there."""
        with write_transaction(self.engine) as connection:
            if connection.execute(
                select(SUPPRESSION.c.number).where(SUPPRESSION.c.number == number)
            ).first():
                return False
            connection.execute(
                insert(SUPPRESSION).values(
                    number=number, reason=reason, source=source, created_at=now
                )
            )
        return True

    def unsuppress(self, number: str) -> bool:
        """Remove a number from the suppression list; False if it was not there."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(delete(SUPPRESSION).where(SUPPRESSION.c.number == number))
        return bool(result.rowcount)

    def suppressions(self) -> list[Suppression]:
        """The whole suppression list, oldest first."""
        query = select(SUPPRESSION).order_by(SUPPRESSION.c.created_at, SUPPRESSION.c.number)
        with self.engine.connect() as connection:
            return [Suppression.model_validate(row._mapping) for row in connection.execute(query)]

    def suppressed(self, numbers: Iterable[str]) -> dict[str, str]:
        """Which of `numbers` are suppressed, with the reason."""
        wanted = list(set(numbers))
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            if connection.execute(select(SUPPRESSION.c.number).limit(1)).first() is None:
                return found  # the usual case: an empty list, no need to look numbers up
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = connection.execute(
                    select(SUPPRESSION.c.number, SUPPRESSION.c.reason).where(
                        SUPPRESSION.c.number.in_(chunk)
                    )
                )
                found.update({row.number: row.reason for row in rows})
        return found

    def set_paused(self, campaign: str, paused: bool, now: datetime) -> None:
        """Pause or resume a campaign's dispatch."""
        with write_transaction(self.engine) as connection:
            updated = connection.execute(
                update(CAMPAIGN_STATE)
                .where(CAMPAIGN_STATE.c.campaign == campaign)
                .values(paused=paused, updated_at=now)
            )
            if updated.rowcount == 0:
                connection.execute(
                    insert(CAMPAIGN_STATE).values(campaign=campaign, paused=paused, updated_at=now)
                )

    def is_paused(self, campaign: str) -> bool:
        """True when an operator paused the campaign."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(CAMPAIGN_STATE.c.paused).where(CAMPAIGN_STATE.c.campaign == campaign)
            ).scalar()
        return bool(value)

    # --- receipts -----------------------------------------------------------------------------

    def by_provider_id(self, provider_id: str) -> Message | None:
        """The message a provider knows by `provider_id`."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(MESSAGE).where(MESSAGE.c.provider_id == provider_id).limit(1)
            ).first()
        return from_row(Message, row._mapping) if row else None

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

    def unsettled(
        self, sent_before: datetime, *, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[Message]:
        """One page of the messages accepted by a provider before `sent_before` with no final
        status yet, oldest first by `(sent_at, id)`; `after` is the last one of the previous
        page (keyset paging: a message settling meanwhile shifts no page)."""
        query = (
            select(MESSAGE)
            .where(
                MESSAGE.c.status == Status.sent.value,
                MESSAGE.c.sent_at < sent_before,
                MESSAGE.c.provider_id.is_not(None),
            )
            .order_by(MESSAGE.c.sent_at, MESSAGE.c.id)
            .limit(limit)
        )
        if after is not None:
            sent_at, message_id = after
            query = query.where(
                or_(
                    MESSAGE.c.sent_at > sent_at,
                    and_(MESSAGE.c.sent_at == sent_at, MESSAGE.c.id > message_id),
                )
            )
        with self.engine.connect() as connection:
            return [from_row(Message, row._mapping) for row in connection.execute(query)]

    def record_sent(
        self, accepted: Sequence[tuple[int, str | None, str]], now: datetime
    ) -> list[int]:
        """Mark several messages sent in one transaction: (id, provider id, event detail).

        Only messages still `sending` or `unknown` move; returns the ids that did.
        """
        if not accepted:
            return []
        ids = [message_id for message_id, _, _ in accepted]
        providers = {message_id: provider for message_id, provider, _ in accepted}
        details = {message_id: detail for message_id, _, detail in accepted}
        with write_transaction(self.engine) as connection:
            moved = (
                connection.execute(
                    update(MESSAGE)
                    .where(
                        MESSAGE.c.id.in_(ids),
                        MESSAGE.c.status.in_([Status.sending.value, Status.unknown.value]),
                    )
                    .values(
                        status=Status.sent.value,
                        updated_at=now,
                        sent_at=now,
                        attempts=MESSAGE.c.attempts + 1,
                        error_code=None,
                        error_text=None,
                        provider_id=case(providers, value=MESSAGE.c.id),
                    )
                    .returning(MESSAGE.c.id)
                )
                .scalars()
                .all()
            )
            if moved:
                connection.execute(
                    insert(EVENT),
                    [
                        {
                            "message_id": i,
                            "at": now,
                            "status": Status.sent.value,
                            "previous": Status.sending.value,
                            "source": "gateway",
                            "detail": details[i],
                        }
                        for i in moved
                    ],
                )
        return list(moved)

    def recent_counts(
        self, recipients: Iterable[str], since: datetime, exclude: Iterable[int] = ()
    ) -> dict[str, int]:
        """`recent_to` for many recipients in one query."""
        counted = [
            Status.sending,
            Status.unknown,
            Status.sent,
            Status.delivered,
            Status.undelivered,
        ]
        wanted = list(set(recipients))
        skip = list(exclude)
        found: dict[str, int] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = (
                    select(MESSAGE.c.recipient, func.count())
                    .where(
                        MESSAGE.c.recipient.in_(wanted[start : start + 500]),
                        MESSAGE.c.status.in_([s.value for s in counted]),
                        func.coalesce(MESSAGE.c.sent_at, MESSAGE.c.updated_at) >= since,
                    )
                    .group_by(MESSAGE.c.recipient)
                )
                if skip:
                    query = query.where(MESSAGE.c.id.not_in(skip))
                found.update({recipient: n for recipient, n in connection.execute(query)})
        return found

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
        Not to `skipped`: a skip goes through `skip`, with its reason.

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
            moved = (
                connection.execute(
                    update(MESSAGE)
                    .where(*selection.where(), MESSAGE.c.status == Status.planned.value)
                    .values(status=new.value, updated_at=now, error_code=None, error_text=detail)
                    .returning(MESSAGE.c.id)
                )
                .scalars()
                .all()
            )
            for start in range(0, len(moved), 10_000):
                connection.execute(
                    insert(EVENT),
                    [
                        {
                            "message_id": message_id,
                            "at": now,
                            "status": new.value,
                            "previous": Status.planned.value,
                            "source": source,
                            "detail": detail,
                        }
                        for message_id in moved[start : start + 10_000]
                    ],
                )
        return len(moved)

    # --- reading --------------------------------------------------------------------------

    def get(self, message_id: int) -> Message | None:
        """One message by id."""
        with self.engine.connect() as connection:
            row = connection.execute(select(MESSAGE).where(MESSAGE.c.id == message_id)).first()
        return from_row(Message, row._mapping) if row else None

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
            return [from_row(Message, row._mapping) for row in connection.execute(query)]

    def events(self, message_id: int) -> list[DeliveryEvent]:
        """Every event of one message, in the order they were appended."""
        query = select(EVENT).where(EVENT.c.message_id == message_id).order_by(EVENT.c.id)
        with self.engine.connect() as connection:
            return [from_row(DeliveryEvent, row._mapping) for row in connection.execute(query)]

    def status_counts(
        self, campaign: str | None, push: str | None = None, occurrence: date | None = None
    ) -> Counter[str]:
        """How many messages are in each status (of every campaign when `campaign` is None)."""
        query = select(MESSAGE.c.status, func.count())
        if campaign is not None:
            query = query.where(MESSAGE.c.campaign == campaign)
        if push is not None:
            query = query.where(MESSAGE.c.push == push)
        if occurrence is not None:
            query = query.where(MESSAGE.c.occurrence == occurrence)
        query = query.group_by(MESSAGE.c.status)
        with self.engine.connect() as connection:
            return Counter({status: count for status, count in connection.execute(query)})
