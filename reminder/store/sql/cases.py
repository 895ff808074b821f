"""What each person has read: the cases their messages carried, read for a batch at a time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Engine, func, select

from reminder.status import Status
from reminder.store.sql.tables import CHUNK, MESSAGE
from reminder.store.values import CaseReading


def _sqlite_readings(count: int) -> str:
    """The read of `case_readings` for `count` numbers, in SQLite's own placeholders."""
    return (
        "SELECT contact_id, case_id, occurrence, campaign, push, status FROM message "
        f"WHERE recipient IN ({', '.join('?' * count)}) AND case_id IS NOT NULL"
    )


class CaseQueries:
    """The store's reads of cases sent (a part of `SqlStore`)."""

    engine: Engine

    def case_readings(self, recipients: Sequence[str]) -> dict[str, list[CaseReading]]:
        """Every message that carries a case to one of `recipients`, by contact id, oldest
        first (answered from the index on `(recipient, sent_at)`)."""
        found: dict[str, list[CaseReading]] = {}
        wanted = list(dict.fromkeys(recipients))
        columns = (
            MESSAGE.c.contact_id,
            MESSAGE.c.case_id,
            MESSAGE.c.occurrence,
            MESSAGE.c.campaign,
            MESSAGE.c.push,
            MESSAGE.c.status,
        )
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), CHUNK):
                numbers = wanted[start : start + CHUNK]
                if sqlite:  # the driver's own placeholders: binding them costs a fifth
                    rows = connection.exec_driver_sql(
                        _sqlite_readings(len(numbers)), tuple(numbers)
                    )
                else:
                    query = select(*columns).where(
                        MESSAGE.c.recipient.in_(numbers), MESSAGE.c.case_id.is_not(None)
                    )
                    rows = connection.execute(query)
                for contact, case, occurrence, campaign, push, status in rows:
                    if isinstance(occurrence, str):
                        occurrence = date.fromisoformat(occurrence)
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
