"""The in-memory store's reads of cases sent (a part of `InMemoryStore`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date

from reminder.status import Status
from reminder.store.memory.rows import MemoryRows, locked
from reminder.store.values import CaseReading


class MemoryCases(MemoryRows):
    """What each person has read, as the SQL store reads it (`reminder.store.sql.cases`)."""

    @locked
    def case_readings(self, recipients: Sequence[str]) -> dict[str, list[CaseReading]]:
        """Every message that carries a case to one of `recipients`, by contact id, oldest
        first."""
        wanted = set(recipients)
        found: dict[str, list[CaseReading]] = {}
        for row in self.rows.values():
            if row["recipient"] in wanted and row["case_id"] is not None:
                found.setdefault(row["contact_id"], []).append(
                    CaseReading(
                        row["case_id"],
                        row["occurrence"],
                        row["campaign"],
                        row["push"],
                        Status(row["status"]),
                    )
                )
        for readings in found.values():
            readings.sort(key=lambda r: (r.occurrence, r.campaign, r.push))
        return found

    @locked
    def case_counts(self, first: date, last: date, statuses: Collection[Status]) -> dict[str, int]:
        """How many messages of occurrences from `first` to `last` in `statuses` carry each
        case."""
        wanted = {s.value for s in statuses}
        return dict(
            Counter(
                row["case_id"]
                for row in self.rows.values()
                if row["case_id"] is not None
                and first <= row["occurrence"] <= last
                and row["status"] in wanted
            )
        )
