"""Report queries: the figures of `reminder report`, one query each, as plain values.

A campaign of a whole festival holds millions of messages: each figure is grouped by the
database, and the lists (each contact's best state, the contacts never reached) are streamed
row by row with only the columns a report shows, so memory stays flat whatever the count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, select

from reminder.status import Status
from reminder.store.sql.tables import EVENT, MESSAGE, selected
from reminder.store.values import (
    ACCEPTED,
    RECEIPT_SOURCES,
    ContactReach,
    GatewayReceipts,
    OutcomeCount,
    ReachState,
    Selection,
    SkipReason,
    UnreachedRow,
)

#: Rows fetched at a time from a streamed query (PostgreSQL: a server-side cursor).
STREAM = 2_000


def reach_state(unconfirmed_gateways: Collection[str]) -> ColumnElement[Any]:
    """A message's `ReachState` as an SQL expression."""
    return case(
        (MESSAGE.c.status == Status.delivered.value, int(ReachState.reached)),
        (
            and_(
                MESSAGE.c.status == Status.sent.value,
                MESSAGE.c.gateway.in_(list(unconfirmed_gateways)),
            ),
            int(ReachState.reached),
        ),
        (MESSAGE.c.status == Status.sent.value, int(ReachState.awaiting)),
        else_=int(ReachState.not_reached),
    )


class ReportQueries:
    """The store's report queries (a part of `SqlStore`)."""

    engine: Engine

    def outcome_counts(self, selection: Selection) -> list[OutcomeCount]:
        """How many messages of each push and date of `selection` are in each status and skip
        reason (grouped in the order of `ix_message_campaign_day`: read from it alone)."""
        query = (
            select(
                MESSAGE.c.push,
                MESSAGE.c.occurrence,
                MESSAGE.c.status,
                MESSAGE.c.skip_reason,
                func.count(),
            )
            .where(*selected(selection))
            .group_by(MESSAGE.c.occurrence, MESSAGE.c.push, MESSAGE.c.status, MESSAGE.c.skip_reason)
        )
        with self.engine.connect() as connection:
            return [
                OutcomeCount(push, day, Status(status), _reason(reason), count)
                for push, day, status, reason, count in connection.execute(query)
            ]

    def contact_reach(
        self, selection: Selection, unconfirmed_gateways: Collection[str]
    ) -> Iterator[ContactReach]:
        """Each contact's best state per push of `selection`, by contact id then push."""
        query = (
            select(
                MESSAGE.c.contact_id, MESSAGE.c.push, func.max(reach_state(unconfirmed_gateways))
            )
            .where(*selected(selection))
            .group_by(MESSAGE.c.contact_id, MESSAGE.c.push)
            .order_by(MESSAGE.c.contact_id, MESSAGE.c.push)
        )
        with self.engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=STREAM)
            for contact_id, push, state in rows.execute(query):
                yield ContactReach(contact_id, push, ReachState(state))

    def unreached(
        self,
        selection: Selection,
        unconfirmed_gateways: Collection[str],
        limit: int | None = None,
    ) -> Iterator[UnreachedRow]:
        """The last message of each contact of `selection` not reached and awaiting no
        receipt, by contact id (the first `limit` only, when given)."""
        last = (
            select(MESSAGE.c.contact_id, func.max(MESSAGE.c.id).label("last"))
            .where(*selected(selection))
            .group_by(MESSAGE.c.contact_id)
            .having(func.max(reach_state(unconfirmed_gateways)) == int(ReachState.not_reached))
            .subquery()
        )
        query = (
            select(
                MESSAGE.c.contact_id,
                MESSAGE.c.recipient,
                MESSAGE.c.status,
                MESSAGE.c.error_code,
                MESSAGE.c.error_text,
                MESSAGE.c.occurrence,
            )
            .join(last, MESSAGE.c.id == last.c.last)
            .order_by(MESSAGE.c.contact_id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=STREAM)
            for contact_id, recipient, status, code, text, day in rows.execute(query):
                yield UnreachedRow(contact_id, recipient, Status(status), code, text, day)

    def receipt_summary(self, selection: Selection) -> list[GatewayReceipts]:
        """Per gateway that accepted messages of `selection`: how many it accepted, how many
        still await a receipt, and when the last receipt arrived; by gateway name."""
        counts = (
            select(
                MESSAGE.c.gateway,
                func.count(),
                func.sum(case((MESSAGE.c.status == Status.sent.value, 1), else_=0)),
            )
            .where(*selected(selection), MESSAGE.c.status.in_([s.value for s in ACCEPTED]))
            .group_by(MESSAGE.c.gateway)
        )
        latest = (
            select(MESSAGE.c.gateway, func.max(EVENT.c.at))
            .join(EVENT, EVENT.c.message_id == MESSAGE.c.id)
            .where(*selected(selection), EVENT.c.source.in_(RECEIPT_SOURCES))
            .group_by(MESSAGE.c.gateway)
        )
        with self.engine.connect() as connection:
            found = {
                gateway: (count, int(awaiting or 0))
                for gateway, count, awaiting in connection.execute(counts)
                if gateway is not None
            }
            last = {name: at for name, at in connection.execute(latest)} if found else {}
        return [
            GatewayReceipts(name, count, awaiting, last.get(name))
            for name, (count, awaiting) in sorted(found.items())
        ]


def _reason(value: str | None) -> SkipReason | None:
    return SkipReason(value) if value is not None else None
