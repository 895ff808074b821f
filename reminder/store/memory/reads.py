"""The in-memory store's reads: messages, counts, the suppression list, receipts' lookups
and the report queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from reminder.status import Status
from reminder.store.memory.rows import MemoryRows, locked, message_of
from reminder.store.models import Message, Suppression
from reminder.store.values import COUNTED_AGAINST_CAP, OutcomeCount, Reach, Selection, SkipReason


class MemoryReads(MemoryRows):
    """Every read of the contract (a part of `InMemoryStore`)."""

    @locked
    def messages(
        self,
        *,
        campaign: str | None = None,
        statuses: Iterable[Status] = (),
        occurrence: date | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages, newest first, optionally filtered."""
        wanted = {s.value for s in statuses}
        rows = [
            row
            for row in reversed(self.selected(Selection(campaign, None, occurrence)))
            if not wanted or row["status"] in wanted
        ]
        return [message_of(row) for row in rows[:limit]]

    @locked
    def claims(self, selection: Selection, statuses: Iterable[Status]) -> list[Message]:
        """The messages of `selection` in the given statuses, oldest first."""
        wanted = {s.value for s in statuses}
        return [message_of(row) for row in self.selected(selection) if row["status"] in wanted]

    @locked
    def status_counts(
        self, campaign: str | None, push: str | None = None, occurrence: date | None = None
    ) -> Counter[str]:
        """How many messages are in each status."""
        return Counter(r["status"] for r in self.selected(Selection(campaign, push, occurrence)))

    @locked
    def recent_counts(
        self, recipients: Iterable[str], since: datetime, exclude: Iterable[int] = ()
    ) -> dict[str, int]:
        """How many messages went (or are going) to each of `recipients` since `since`."""
        wanted, skip = set(recipients), set(exclude)
        counted = {s.value for s in COUNTED_AGAINST_CAP}
        found: Counter[str] = Counter(
            row["recipient"]
            for row in self.rows.values()
            if row["recipient"] in wanted
            and row["status"] in counted
            and row["id"] not in skip
            and (row["sent_at"] or row["updated_at"]) >= since
        )
        return dict(found)

    @locked
    def suppressions(self) -> list[Suppression]:
        """The whole suppression list, oldest first."""
        entries = sorted(self.suppression.values(), key=lambda e: (e["created_at"], e["number"]))
        return [Suppression.model_validate(entry) for entry in entries]

    @locked
    def suppressed(self, numbers: Iterable[str]) -> dict[str, str]:
        """Which of `numbers` are suppressed, with the reason."""
        return {n: self.suppression[n]["reason"] for n in set(numbers) if n in self.suppression}

    @locked
    def by_provider_id(self, provider_id: str) -> Message | None:
        """The message a provider knows by `provider_id`."""
        for row in self.rows.values():
            if row["provider_id"] == provider_id:
                return message_of(row)
        return None

    @locked
    def unsettled(
        self, sent_before: datetime, *, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[Message]:
        """One page of the messages sent before `sent_before` with no final status yet, oldest
        first by `(sent_at, id)`, after `after`."""
        rows = sorted(
            (
                r
                for r in self.rows.values()
                if r["status"] == Status.sent.value
                and r["provider_id"] is not None
                and r["sent_at"] < sent_before
                and (after is None or (r["sent_at"], r["id"]) > after)
            ),
            key=lambda r: (r["sent_at"], r["id"]),
        )
        return [message_of(row) for row in rows[:limit]]

    @locked
    def outcome_counts(self, selection: Selection) -> list[OutcomeCount]:
        """How many messages of each push and date are in each status and skip reason."""
        counts = Counter(
            (r["push"], r["occurrence"], r["status"], r["skip_reason"])
            for r in self.selected(selection)
        )
        return [
            OutcomeCount(push, day, Status(status), SkipReason(reason) if reason else None, n)
            for (push, day, status, reason), n in counts.items()
        ]

    @locked
    def reach(self, selection: Selection, unconfirmed_gateways: Collection[str]) -> Reach:
        """Who of `selection` was reached, and the last message of each contact who was not."""
        reached: set[str] = set()
        last: dict[str, dict[str, Any]] = {}
        for row in self.selected(selection):
            status = row["status"]
            if status == Status.delivered.value or (
                status == Status.sent.value and row["gateway"] in unconfirmed_gateways
            ):
                reached.add(row["contact_id"])
            last[row["contact_id"]] = row  # the rows come oldest first: the last one stays
        unreached = [message_of(last[c]) for c in sorted(last) if c not in reached]
        return Reach(frozenset(reached), unreached)
