"""What each person has read: the cases their messages carried, read for a batch at a time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Engine, func, select

from reminder.status import Status
from reminder.store.sql.tables import CHUNK, MESSAGE
from reminder.store.values import CaseReading


class CaseQueries:
    """The store's reads of cases sent (a part of `SqlStore`)."""

    engine: Engine

    def case_readings(self, contact_ids: Sequence[str]) -> dict[str, list[CaseReading]]:
        """Every message that carries a case, of each of `contact_ids`, oldest first."""
        found: dict[str, list[CaseReading]] = {}
        wanted = list(dict.fromkeys(contact_ids))
        columns = (
            MESSAGE.c.contact_id,
            MESSAGE.c.case_id,
            MESSAGE.c.occurrence,
            MESSAGE.c.campaign,
            MESSAGE.c.push,
            MESSAGE.c.status,
        )
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), CHUNK):
                query = select(*columns).where(
                    MESSAGE.c.contact_id.in_(wanted[start : start + CHUNK]),
                    MESSAGE.c.case_id.is_not(None),
                )
                for contact, case, occurrence, campaign, push, status in connection.execute(query):
                    found.setdefault(contact, []).append(
                        CaseReading(case, occurrence, campaign, push, Status(status))
                    )
        for readings in found.values():
            readings.sort(key=lambda r: (r.occurrence, r.campaign, r.push))
        return found

    def case_counts(self, first: date, last: date, statuses: Collection[Status]) -> dict[str, int]:
        """How many messages of occurrences from `first` to `last` in `statuses` carry each
        case."""
        query = (
            select(MESSAGE.c.case_id, func.count())
            .where(
                MESSAGE.c.case_id.is_not(None),
                MESSAGE.c.occurrence >= first,
                MESSAGE.c.occurrence <= last,
                MESSAGE.c.status.in_([s.value for s in statuses]),
            )
            .group_by(MESSAGE.c.case_id)
        )
        with self.engine.connect() as connection:
            return {case: count for case, count in connection.execute(query)}
