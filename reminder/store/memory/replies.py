"""Questions and replies in memory (a part of `InMemoryStore`), with the rules of their SQL
counterparts (`reminder.store.sql.replies`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from reminder.status import Status
from reminder.store.matching import CLOCK_SKEW, LOOK_BACK, decide
from reminder.store.memory.rows import MemoryRows, Row, locked, utc
from reminder.store.replies import Reply
from reminder.store.values import ACCEPTED, NewReply, OpenQuestion, ReplyOutcome

_ACCEPTED = {s.value for s in ACCEPTED}
_BEING_SENT = {Status.sending.value, Status.unknown.value}


class MemoryReplies(MemoryRows):
    """Questions by occurrence, replies in the order they were recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.question_rows: dict[tuple[str, str, date], tuple[frozenset[str], int]] = {}
        self.reply_rows: list[Reply] = []
        self.reply_keys: set[tuple[str, str]] = set()

    @locked
    def ask(
        self,
        campaign: str,
        push: str,
        occurrence: date,
        keywords: Collection[str],
        within_seconds: int,
        now: datetime,
    ) -> bool:
        """Record that this occurrence asks for an answer; False if it was recorded already."""
        key = (campaign, push, occurrence)
        if key in self.question_rows:
            return False
        utc(now)
        self.question_rows[key] = (frozenset(keywords), within_seconds)
        return True

    @locked
    def add_replies(self, replies: Sequence[NewReply], now: datetime) -> list[ReplyOutcome | None]:
        """Record each reply once, with what it was found to be (see the contract)."""
        return [self._add_reply(reply, utc(now)) for reply in replies]

    @locked
    def replies(
        self,
        *,
        campaign: str | None = None,
        push: str | None = None,
        occurrence: date | None = None,
        outcomes: Collection[ReplyOutcome] = (),
        limit: int | None = None,
    ) -> list[Reply]:
        """Replies, newest first, optionally filtered."""
        wanted = {o.value for o in outcomes}
        found = [
            r.model_copy()
            for r in sorted(self.reply_rows, key=lambda r: (r.received_at, r.id), reverse=True)
            if campaign in (None, r.campaign)
            and push in (None, r.push)
            and occurrence in (None, r.occurrence)
            and (not wanted or r.outcome in wanted)
        ]
        return found[:limit] if limit is not None else found

    def _add_reply(self, reply: NewReply, now: datetime) -> ReplyOutcome | None:
        if reply.provider_id is not None:
            key = (reply.gateway, reply.provider_id)
            if key in self.reply_keys:
                return None
            self.reply_keys.add(key)
        at = utc(reply.received_at)
        if reply.opted_out:
            outcome, question = ReplyOutcome.opted_out, None
        else:
            outcome, question = decide(reply.words, at, self._open_questions(reply.sender, at))
        values: dict[str, Any] = {}
        if question is not None:
            values = {
                "message_id": question.message_id,
                "campaign": question.campaign,
                "push": question.push,
                "occurrence": question.occurrence,
                "contact_id": question.contact_id,
                "asked_at": question.asked_at,
            }
        reply_id = len(self.reply_rows) + 1
        self.reply_rows.append(
            Reply(
                id=reply_id,
                gateway=reply.gateway,
                provider_id=reply.provider_id,
                sender=reply.sender,
                text=reply.text,
                received_at=at,
                outcome=outcome.value,
                **values,
            )
        )
        if question is not None:
            status = self.rows[question.message_id]["status"]
            detail = f"acknowledged by reply {reply_id}"
            self.add_event(question.message_id, now, status, status, "reply", None, detail)
        return outcome

    def _open_questions(self, sender: str, at: datetime) -> list[OpenQuestion]:
        found = []
        for row in self.rows.values():
            if row["recipient"] != sender or not self._may_take(row, at):
                continue
            asked = self.question_rows.get((row["campaign"], row["push"], row["occurrence"]))
            if asked is not None:
                found.append(_question(row, *asked))
        return found

    @staticmethod
    def _may_take(row: Row, at: datetime) -> bool:
        if row["status"] in _BEING_SENT and row["sent_at"] is None:
            claimed = row.get("claimed_at")
            return claimed is None or claimed >= at - LOOK_BACK
        sent = row["sent_at"]
        return (
            row["status"] in _ACCEPTED
            and sent is not None
            and at - LOOK_BACK <= sent <= at + CLOCK_SKEW
        )


def _question(row: Row, keywords: frozenset[str], within_seconds: int) -> OpenQuestion:
    asked = None if row["status"] in _BEING_SENT else row["sent_at"]
    return OpenQuestion(
        row["id"],
        row["campaign"],
        row["push"],
        row["occurrence"],
        row["contact_id"],
        asked,
        keywords,
        within_seconds,
        row.get("claimed_at"),
    )
