"""The in-memory store's writes: planning, claims, status moves, suppression and pause. Each
keeps the rule its SQL counterpart keeps (`reminder.store.sql`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from reminder.status import REQUEUABLE, Status, can_move
from reminder.store.memory.rows import MemoryRows, Row, locked, message_of, new_row, utc
from reminder.store.models import Message
from reminder.store.values import Applied, NewMessage, ReceiptUpdate, Selection, SkipReason


class MemoryWrites(MemoryRows):
    """Every write of the contract (a part of `InMemoryStore`)."""

    @locked
    def add_planned_batches(self, batches: Iterable[Sequence[NewMessage]], now: datetime) -> int:
        """Add the messages not planned yet; nothing at all if producing a batch raises."""
        now = utc(now)
        staged = [message for batch in batches for message in batch]
        added = 0
        for message in staged:
            key = (message.campaign, message.push, message.occurrence, message.contact_id)
            if key in self.keys:
                continue
            message_id = len(self.rows) + 1
            self.keys[key] = message_id
            self.rows[message_id] = new_row(message_id, message, now)
            self.add_event(message_id, now, message.status.value, None, "plan")
            added += 1
        return added

    @locked
    def statuses_of(
        self, campaign: str, push: str, occurrence: date, contact_ids: Sequence[str]
    ) -> dict[str, Status]:
        """The status of the message of each of `contact_ids` that has one for this occurrence."""
        found = {}
        for contact_id in contact_ids:
            message_id = self.keys.get((campaign, push, occurrence, contact_id))
            if message_id is not None:
                found[contact_id] = Status(self.rows[message_id]["status"])
        return found

    @locked
    def has_planned(self, campaign: str, push: str, occurrence: date) -> bool:
        """Whether any message of this occurrence is in the store."""
        return bool(self.selected(Selection(campaign, push, occurrence)))

    @locked
    def claim_batch(
        self,
        selection: Selection,
        gateway: str,
        owner: str,
        now: datetime,
        limit: int,
        claimed_at: datetime | None = None,
    ) -> list[Message]:
        """Claim up to `limit` planned messages (oldest first) of campaigns not paused."""
        now = utc(now)
        claimed: list[Message] = []
        for row in self.selected(selection):
            if len(claimed) == limit:
                break
            if row["status"] != Status.planned.value or row["campaign"] in self.paused:
                continue
            if row["not_before"] is not None and row["not_before"] > now:
                continue
            claim = {"gateway": gateway, "claimed_by": owner, "claimed_at": claimed_at or now}
            self.move(row, Status.sending, now, "dispatch", claim)
            claimed.append(message_of(row))
        return claimed

    @locked
    def release(self, message_ids: Iterable[int], owner: str, now: datetime, reason: str) -> int:
        """Give back messages `owner` claimed but never sent (`sending → planned`)."""
        released = 0
        for message_id in message_ids:
            row = self.rows.get(message_id)
            if row and row["status"] == Status.sending.value and row["claimed_by"] == owner:
                self._back_to_planned(row, now, "dispatch", reason)
                released += 1
        return released

    @locked
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
        """Give back a claimed message the provider would not take yet, until `not_before`."""
        row = self.rows.get(message_id)
        if not (row and row["status"] == Status.sending.value and row["claimed_by"] == owner):
            return False
        self._back_to_planned(row, now, "gateway", detail, utc(not_before), error_code)
        return True

    @locked
    def requeue(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        owner: str | None = None,
    ) -> bool:
        """Put a failed, unknown or abandoned message back to `planned` (with `owner`, only
        while that claim holds it)."""
        row = self.rows.get(message_id)
        if row is None or Status(row["status"]) not in REQUEUABLE:
            return False
        if owner is not None and row["claimed_by"] != owner:
            return False
        self._back_to_planned(row, now, source, detail)
        return True

    @locked
    def record_attempt(
        self, message_id: int, now: datetime, *, error_code: str | None, error_text: str
    ) -> None:
        """Count one failed attempt that will be retried; the status stays `sending`."""
        row = self.rows[message_id]
        now = utc(now)
        row.update(
            attempts=row["attempts"] + 1,
            error_code=error_code,
            error_text=error_text,
            updated_at=now,
        )
        sending, detail = Status.sending.value, f"retryable: {error_text}"
        self.add_event(message_id, now, sending, sending, "gateway", error_code, detail)

    @locked
    def record_sent(
        self, accepted: Sequence[tuple[int, str | None, str]], now: datetime
    ) -> list[int]:
        """Mark messages sent; only those still `sending` or `unknown` move."""
        now = utc(now)
        moved = []
        for message_id, provider_id, detail in accepted:
            row = self.rows.get(message_id)
            if row is None or row["status"] not in (Status.sending.value, Status.unknown.value):
                continue
            row.update(
                status=Status.sent.value,
                updated_at=now,
                sent_at=now,
                attempts=row["attempts"] + 1,
                error_code=None,
                error_text=None,
                provider_id=provider_id,
            )
            sent, sending = Status.sent.value, Status.sending.value
            self.add_event(message_id, now, sent, sending, "gateway", detail=detail)
            moved.append(message_id)
        return moved

    @locked
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
        """Move one message forward to `new`, appending an event; False if it cannot move."""
        if new is Status.skipped:
            raise ValueError("a message is skipped with its reason: use `skip`")
        row = self.rows.get(message_id)
        if row is None or not can_move(Status(row["status"]), new):
            return False
        values = dict(fields or {})
        if count_attempt:
            values["attempts"] = row["attempts"] + 1
        if error_code is not None or detail is not None:
            values.setdefault("error_code", error_code)
            values.setdefault("error_text", detail)
        self.move(row, new, utc(now), source, values, error_code, detail)
        return True

    @locked
    def skip(
        self, message_id: int, reason: SkipReason, now: datetime, *, source: str, detail: str
    ) -> bool:
        """Move one message to `skipped` for `reason`; False if it cannot move."""
        row = self.rows.get(message_id)
        if row is None or not can_move(Status(row["status"]), Status.skipped):
            return False
        values = {"skip_reason": reason.value, "error_text": detail, "error_code": None}
        self.move(row, Status.skipped, utc(now), source, values, None, detail)
        return True

    @locked
    def settle_planned(
        self, selection: Selection, new: Status, now: datetime, *, source: str, detail: str
    ) -> int:
        """Move every message of `selection` still `planned` to `new` (expired, canceled)."""
        if not can_move(Status.planned, new) or new is Status.skipped:
            raise ValueError(f"a planned message cannot be settled as {new.value}")
        planned = [r for r in self.selected(selection) if r["status"] == Status.planned.value]
        for row in planned:
            values = {"error_code": None, "error_text": detail}
            self.move(row, new, utc(now), source, values, None, detail)
        return len(planned)

    @locked
    def note(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        error_code: str | None = None,
    ) -> None:
        """Append an event that changes nothing."""
        status = self.rows[message_id]["status"]
        self.add_event(message_id, utc(now), status, status, source, error_code, detail)

    @locked
    def apply_receipts(self, updates: Sequence[ReceiptUpdate], now: datetime) -> list[Applied]:
        """Apply receipts in order: forward moves only, an event for each."""
        applied = []
        now = utc(now)
        ids = {r["provider_id"]: r["id"] for r in self.rows.values() if r["provider_id"]}
        for update in updates:
            message_id = ids.get(update.provider_id)
            if message_id is None:
                applied.append(Applied(None, False))
                continue
            row = self.rows[message_id]
            status = Status(row["status"])
            new = update.status
            if new is not None and new is not status and can_move(status, new):
                self.move(
                    row, new, now, update.source, update.fields(), update.error_code, update.detail
                )
                applied.append(Applied(message_id, True))
                continue
            detail = f"{update.detail} (no change from {status.value})"
            self.add_event(
                message_id,
                now,
                status.value,
                status.value,
                update.source,
                update.error_code,
                detail,
            )
            applied.append(Applied(message_id, False))
        return applied

    # --- suppression and pause ----------------------------------------------------------------

    @locked
    def suppress(self, number: str, reason: str, source: str, now: datetime) -> bool:
        """Add a number to the suppression list; False if it was already there."""
        if number in self.suppression:
            return False
        entry = {"number": number, "reason": reason, "source": source, "created_at": utc(now)}
        self.suppression[number] = entry
        return True

    @locked
    def unsuppress(self, number: str) -> bool:
        """Remove a number from the suppression list; False if it was not there."""
        return self.suppression.pop(number, None) is not None

    @locked
    def set_paused(self, campaign: str, paused: bool, now: datetime) -> None:
        """Pause or resume a campaign's dispatch."""
        utc(now)
        if paused:
            self.paused.add(campaign)
        else:
            self.paused.discard(campaign)

    def _back_to_planned(
        self,
        row: Row,
        now: datetime,
        source: str,
        detail: str,
        not_before: datetime | None = None,
        error_code: str | None = None,
    ) -> None:
        previous, now = row["status"], utc(now)
        row.update(
            status=Status.planned.value, claimed_by=None, updated_at=now, not_before=not_before
        )
        planned = Status.planned.value
        self.add_event(row["id"], now, planned, previous, source, error_code, detail=detail)
