"""The in-memory store's reads: messages, counts, the suppression list, receipts' lookups
and the report queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime

from reminder.status import Status
from reminder.store.memory.rows import MemoryRows, Row, locked, message_of
from reminder.store.models import Message, Suppression
from reminder.store.values import (
    ACCEPTED,
    COUNTED_AGAINST_CAP,
    RECEIPT_SOURCES,
    ContactReach,
    GatewayReceipts,
    OutcomeCount,
    ReachState,
    Selection,
    SkipReason,
    UnreachedRow,
)


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
    def daily_status_counts(
        self, campaign: str, first: date, last: date
    ) -> dict[date, Counter[str]]:
        """How many of the campaign's messages are in each status, by date."""
        found: dict[date, Counter[str]] = {}
        for r in self.selected(Selection(campaign, since=first, until=last)):
            found.setdefault(r["occurrence"], Counter())[r["status"]] += 1
        return found

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
    def contact_reach(
        self, selection: Selection, unconfirmed_gateways: Collection[str]
    ) -> Iterator[ContactReach]:
        """Each contact's best state per push of `selection`, by contact id then push."""
        best: dict[tuple[str, str], ReachState] = {}
        for row in self.selected(selection):
            key = (row["contact_id"], row["push"])
            best[key] = max(
                best.get(key, ReachState.not_reached), _state(row, unconfirmed_gateways)
            )
        return iter([ContactReach(c, p, best[c, p]) for c, p in sorted(best)])

    @locked
    def unreached(
        self,
        selection: Selection,
        unconfirmed_gateways: Collection[str],
        limit: int | None = None,
    ) -> Iterator[UnreachedRow]:
        """The last message of each contact not reached and awaiting no receipt."""
        best: dict[str, ReachState] = {}
        last: dict[str, Row] = {}
        for row in self.selected(selection):
            contact = row["contact_id"]
            best[contact] = max(
                best.get(contact, ReachState.not_reached), _state(row, unconfirmed_gateways)
            )
            last[contact] = row  # the rows come oldest first: the last one stays
        found = [
            UnreachedRow(
                c,
                last[c]["recipient"],
                Status(last[c]["status"]),
                last[c]["error_code"],
                last[c]["error_text"],
                last[c]["occurrence"],
            )
            for c in sorted(last)
            if best[c] is ReachState.not_reached
        ]
        return iter(found[:limit])

    @locked
    def receipt_summary(self, selection: Selection) -> list[GatewayReceipts]:
        """Per gateway: accepted, awaiting a receipt, and the last receipt's time."""
        accepted: Counter[str] = Counter()
        awaiting: Counter[str] = Counter()
        gateway_of: dict[int, str] = {}
        for row in self.selected(selection):
            if Status(row["status"]) in ACCEPTED and row["gateway"] is not None:
                accepted[row["gateway"]] += 1
                awaiting[row["gateway"]] += row["status"] == Status.sent.value
            if row["gateway"] is not None:
                gateway_of[row["id"]] = row["gateway"]
        last: dict[str, datetime] = {}
        for event in self.event_rows:
            gateway = gateway_of.get(event["message_id"])
            if gateway and event["source"] in RECEIPT_SOURCES:
                last[gateway] = max(last.get(gateway, event["at"]), event["at"])
        return [
            GatewayReceipts(name, accepted[name], awaiting[name], last.get(name))
            for name in sorted(accepted)
        ]


def _state(row: Row, unconfirmed_gateways: Collection[str]) -> ReachState:
    status = row["status"]
    if status == Status.delivered.value:
        return ReachState.reached
    if status == Status.sent.value:
        if row["gateway"] in unconfirmed_gateways:
            return ReachState.reached
        return ReachState.awaiting
    return ReachState.not_reached
