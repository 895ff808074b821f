"""Report queries: the figures of `reminder report`, one query each, as plain values.

A campaign of a whole festival holds millions of messages: each figure is grouped by the
database, and only the last message of each contact never reached is read whole.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Engine, and_, case, func, select

from reminder.status import Status
from reminder.store.models import Message
from reminder.store.sql.tables import CHUNK, MESSAGE, messages_of, selected
from reminder.store.values import OutcomeCount, Reach, Selection, SkipReason


class ReportQueries:
    """The store's report queries (a part of `SqlStore`)."""

    engine: Engine

    def outcome_counts(self, selection: Selection) -> list[OutcomeCount]:
        """How many messages of each push and date of `selection` are in each status and skip
        reason."""
        query = (
            select(
                MESSAGE.c.push,
                MESSAGE.c.occurrence,
                MESSAGE.c.status,
                MESSAGE.c.skip_reason,
                func.count(),
            )
            .where(*selected(selection))
            .group_by(MESSAGE.c.push, MESSAGE.c.occurrence, MESSAGE.c.status, MESSAGE.c.skip_reason)
        )
        with self.engine.connect() as connection:
            return [
                OutcomeCount(push, day, Status(status), _reason(reason), count)
                for push, day, status, reason, count in connection.execute(query)
            ]

    def reach(self, selection: Selection, unconfirmed_gateways: Collection[str]) -> Reach:
        """Who of `selection` was reached: a message `delivered`, or `sent` through one of
        `unconfirmed_gateways`; and the last message of each contact who was not."""
        reached_flag = case(
            (MESSAGE.c.status == Status.delivered.value, 1),
            (
                and_(
                    MESSAGE.c.status == Status.sent.value,
                    MESSAGE.c.gateway.in_(list(unconfirmed_gateways)),
                ),
                1,
            ),
            else_=0,
        )
        per_contact = (
            select(MESSAGE.c.contact_id, func.max(reached_flag), func.max(MESSAGE.c.id))
            .where(*selected(selection))
            .group_by(MESSAGE.c.contact_id)
        )
        reached: set[str] = set()
        last_ids: list[int] = []
        with self.engine.connect() as connection:
            for contact_id, flag, last_id in connection.execute(per_contact):
                if flag:
                    reached.add(contact_id)
                else:
                    last_ids.append(last_id)
            last: list[Message] = []
            for start in range(0, len(last_ids), CHUNK):
                chunk = last_ids[start : start + CHUNK]
                last += messages_of(
                    connection.execute(select(MESSAGE).where(MESSAGE.c.id.in_(chunk)))
                )
        return Reach(frozenset(reached), sorted(last, key=lambda m: m.contact_id))


def _reason(value: str | None) -> SkipReason | None:
    return SkipReason(value) if value is not None else None
