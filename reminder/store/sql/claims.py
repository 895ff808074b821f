"""Dispatch's queries: claiming planned messages, giving claims back, and what was claimed.

A claim is one conditional UPDATE (`WHERE status = 'planned'`), so a message claimed by
another dispatcher meanwhile is never returned twice. On PostgreSQL the candidates are chosen
inside that UPDATE with `FOR UPDATE SKIP LOCKED`: dispatchers on several nodes each take rows
no other is claiming at that moment instead of queueing on the same ones (on SQLite the write
lock serialises claims anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, insert, or_, select, update

from reminder.status import REQUEUABLE, Status
from reminder.store.engine import write_transaction
from reminder.store.models import Message
from reminder.store.sql.sqlite_claim import SqliteClaim
from reminder.store.sql.tables import (
    CAMPAIGN_STATE,
    CHUNK,
    EVENT,
    MESSAGE,
    add_events,
    messages_of,
    selected,
)
from reminder.store.values import COUNTED_AGAINST_CAP, Selection


class ClaimQueries:
    """The store's claim operations (a part of `SqlStore`)."""

    engine: Engine

    def claim_batch(
        self,
        selection: Selection,
        gateway: str,
        owner: str,
        now: datetime,
        limit: int,
        claimed_at: datetime | None = None,
    ) -> list[Message]:
        """Claim up to `limit` planned messages (oldest first) of campaigns that are not paused;
        an empty list only when none is left to claim.

        A message claimed by another dispatcher is never returned (the update re-checks
        `planned`). When another dispatcher took every candidate first, the next candidates are
        tried: losing a race is not running out. `claimed_at` is the claiming machine's
        wall-clock time (default: `now`): where a provider lookup of these messages starts
        after a crash.
        """
        if self.engine.dialect.name == "postgresql":
            return self._claim_skipping_locked(
                selection, gateway, owner, now, limit, claimed_at or now
            )
        # SQLite: one writer at a time (the transaction holds the write lock from its start),
        # so the candidates are still planned when the same statement moves them.
        with write_transaction(self.engine) as connection:
            claim = SqliteClaim(selection, gateway, owner, now, claimed_at or now, limit)
            claimed, ids = claim.run(connection)
            if ids:
                add_events(connection, ids, now, Status.sending, Status.planned, "dispatch")
            return claimed

    def _claim_skipping_locked(
        self,
        selection: Selection,
        gateway: str,
        owner: str,
        now: datetime,
        limit: int,
        claimed_at: datetime,
    ) -> list[Message]:
        """`claim_batch` on PostgreSQL: one UPDATE whose candidates skip rows another claim
        has locked. Nothing claimed while candidates remain means others hold them for now:
        asked again, as what they do not take stays planned."""
        # A CTE, not a subquery: PostgreSQL evaluates it once, whereas a locking subquery
        # can be run again for each row updated and claim past its LIMIT.
        candidates = (
            _claimable(selection, limit, now)
            .with_for_update(skip_locked=True, of=MESSAGE)
            .cte("candidates")
        )
        statement = (
            update(MESSAGE)
            .where(
                MESSAGE.c.id.in_(select(candidates.c.id)),
                MESSAGE.c.status == Status.planned.value,
            )
            .values(
                status=Status.sending.value,
                gateway=gateway,
                claimed_by=owner,
                claimed_at=claimed_at,
                updated_at=now,
            )
            .returning(*MESSAGE.c)
        )
        while True:
            with write_transaction(self.engine) as connection:
                claimed = messages_of(connection.execute(statement))
                if claimed:
                    claimed.sort(key=lambda m: m.id or 0)
                    ids = [m.id for m in claimed if m.id is not None]
                    add_events(connection, ids, now, Status.sending, Status.planned, "dispatch")
                    return claimed
                if connection.scalar(_claimable(selection, 1, now)) is None:
                    return []

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

    def defer(
        self,
        message_id: int,
        owner: str,
        now: datetime,
        not_before: datetime,
        *,
        error_code: str | None,
        detail: str,
    ) -> bool:
        """Give back a message `owner` claimed that the provider would not take yet
        (`sending → planned`), not to be claimed before `not_before`."""
        return bool(
            self._back_to_planned(
                message_id,
                now,
                source="gateway",
                detail=detail,
                only_from={Status.sending},
                owner=owner,
                not_before=not_before,
                error_code=error_code,
            )
        )

    def requeue(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        owner: str | None = None,
    ) -> bool:
        """Put a failed, unknown or abandoned message back to `planned` (operator retry, or a
        reconciliation that found the provider never received it); with `owner`, only while
        that claim holds it."""
        return bool(
            self._back_to_planned(
                message_id,
                now,
                source=source,
                detail=detail,
                only_from=set(REQUEUABLE),
                owner=owner,
            )
        )

    def claims(self, selection: Selection, statuses: Iterable[Status]) -> list[Message]:
        """Messages in the given statuses (e.g. `sending` left by a dead process)."""
        query = (
            select(MESSAGE)
            .where(*selected(selection), MESSAGE.c.status.in_([s.value for s in statuses]))
            .order_by(MESSAGE.c.id)
        )
        with self.engine.connect() as connection:
            return messages_of(connection.execute(query))

    def recent_counts(
        self, recipients: Iterable[str], since: datetime, exclude: Iterable[int] = ()
    ) -> dict[str, int]:
        """How many messages each of `recipients` was sent (or is being sent) since `since`,
        in one query a chunk; the messages `exclude` are not counted."""
        wanted = list(set(recipients))
        skip = set(exclude)
        found: dict[str, int] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), CHUNK):
                # The ids, not a count: `exclude` (a claimed batch, up to thousands of ids) is
                # left out here rather than bound into every chunk's query as a `NOT IN`.
                query = select(MESSAGE.c.recipient, MESSAGE.c.id).where(
                    MESSAGE.c.recipient.in_(wanted[start : start + CHUNK]),
                    MESSAGE.c.status.in_([s.value for s in COUNTED_AGAINST_CAP]),
                    func.coalesce(MESSAGE.c.sent_at, MESSAGE.c.updated_at) >= since,
                )
                for recipient, message_id in connection.execute(query):
                    if message_id not in skip:
                        found[recipient] = found.get(recipient, 0) + 1
        return found

    def _back_to_planned(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        only_from: set[Status],
        owner: str | None = None,
        not_before: datetime | None = None,
        error_code: str | None = None,
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
                .values(
                    status=Status.planned.value,
                    claimed_by=None,
                    updated_at=now,
                    not_before=not_before,
                )
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
                    error_code=error_code,
                    detail=detail,
                )
            )
        return 1


def _claimable(selection: Selection, limit: int, now: datetime) -> Select[Any]:
    """The ids of the oldest `limit` planned messages of `selection`, paused campaigns and
    messages deferred past `now` left out."""
    paused = select(CAMPAIGN_STATE.c.campaign).where(CAMPAIGN_STATE.c.paused.is_(True))
    return (
        select(MESSAGE.c.id)
        .where(
            *selected(selection),
            MESSAGE.c.status == Status.planned.value,
            MESSAGE.c.campaign.not_in(paused),
            or_(MESSAGE.c.not_before.is_(None), MESSAGE.c.not_before <= now),
        )
        .order_by(MESSAGE.c.id)
        .limit(limit)
    )
