"""Reading messages: lists, counts, the message a provider names, the ones to poll."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Engine, and_, func, or_, select

from reminder.status import Status
from reminder.store.models import Message
from reminder.store.sql.tables import MESSAGE, messages_of


class ReadQueries:
    """The store's reads of messages (a part of `SqlStore`)."""

    engine: Engine

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
            return messages_of(connection.execute(query))

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

    def daily_status_counts(
        self, campaign: str, first: date, last: date
    ) -> dict[date, Counter[str]]:
        """How many of the campaign's messages are in each status, by date (one grouped read
        of `ix_message_campaign_day`)."""
        day = MESSAGE.c.occurrence
        query = (
            select(day, MESSAGE.c.status, func.count())
            .where(MESSAGE.c.campaign == campaign, day >= first, day <= last)
            .group_by(day, MESSAGE.c.status)
        )
        found: dict[date, Counter[str]] = {}
        with self.engine.connect() as connection:
            for occurrence, status, count in connection.execute(query):
                found.setdefault(occurrence, Counter())[status] = count
        return found

    def by_provider_id(self, provider_id: str) -> Message | None:
        """The message a provider knows by `provider_id`."""
        query = select(MESSAGE).where(MESSAGE.c.provider_id == provider_id).limit(1)
        with self.engine.connect() as connection:
            found = messages_of(connection.execute(query))
        return found[0] if found else None

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
            return messages_of(connection.execute(query))
