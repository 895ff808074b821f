"""The store contract: every operation planning, dispatch, receipts, the daemon, the CLI and
reports perform on the store, and nothing else.

Two implementations keep it: `SqlStore` (SQLite or PostgreSQL, `reminder.store.sql`) and
`InMemoryStore` (plain dicts, `reminder.testing`, for fast unit tests). One suite of tests
(`tests/contract/test_store.py`) runs over both. Whatever implements it keeps the invariants
of ARCHITECTURE.md:

- one message per `(campaign, push, occurrence, contact_id)`: planning twice adds nothing;
- a status only moves forward (`reminder.status.can_move`), except the recorded moves
  back to `planned` (`release`, `requeue`, `defer`); a move that cannot happen changes nothing;
- every change of status appends a delivery event, and events are never changed;
- a claimed message is returned to one claimer only;
- datetimes are aware; they are read back in UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol, Self

from reminder.status import Status
from reminder.store.models import Message, Suppression
from reminder.store.records import Approval, AuditEntry, User, WebSession
from reminder.store.replies import Reply
from reminder.store.values import (
    Applied,
    CaseReading,
    ContactReach,
    GatewayReceipts,
    NewMessage,
    NewReply,
    OutcomeCount,
    ReceiptUpdate,
    ReplyOutcome,
    Selection,
    SkipReason,
    UnreachedRow,
)


class Store(Protocol):
    """Messages, delivery events, the suppression list and paused campaigns: the truth about
    what was planned and sent (see the module docstring for the invariants)."""

    def close(self) -> None:
        """Release what the store holds (database connections)."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    # --- planning -------------------------------------------------------------------------

    def statuses_of(
        self, campaign: str, push: str, occurrence: date, contact_ids: Sequence[str]
    ) -> dict[str, Status]:
        """The status of the message of each of `contact_ids` that has one for this occurrence."""

    def add_planned_batches(self, batches: Iterable[Sequence[NewMessage]], now: datetime) -> int:
        """Add the messages of every batch not planned yet, each with a `plan` event, all or
        nothing; returns how many were added. The batches may be produced lazily."""

    def has_planned(self, campaign: str, push: str, occurrence: date) -> bool:
        """Whether any message of this occurrence is in the store."""

    def case_readings(self, recipients: Sequence[str]) -> dict[str, list[CaseReading]]:
        """Every message that carries a case to one of `recipients` (numbers), whatever its
        campaign, year or status, by contact id (contacts with none are left out), oldest
        occurrence first: what planning weighs to choose each person's next case. One read
        for a whole batch, through the recipient index dispatch already keeps."""

    def case_counts(self, first: date, last: date, statuses: Collection[Status]) -> dict[str, int]:
        """How many messages of occurrences from `first` to `last` in `statuses` carry each
        case (cases with none are left out)."""

    # --- dispatch -------------------------------------------------------------------------

    def claim_batch(
        self,
        selection: Selection,
        gateway: str,
        owner: str,
        now: datetime,
        limit: int,
        claimed_at: datetime | None = None,
    ) -> list[Message]:
        """Move up to `limit` planned messages of `selection` (oldest first) of campaigns not
        paused, and not deferred past `now` (`not_before`), to `sending` for `owner`, and
        return them. `claimed_at` is the claiming
        machine's wall-clock time (default: `now`), where a provider lookup starts."""

    def release(self, message_ids: Iterable[int], owner: str, now: datetime, reason: str) -> int:
        """Give back messages `owner` claimed but never sent (`sending → planned`)."""

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
        """Give back a message `owner` claimed that the provider would not take yet
        (`sending → planned`, with an event): no claim takes it before `not_before`. False if
        it is not `sending` for `owner`."""

    def requeue(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        owner: str | None = None,
    ) -> bool:
        """Put a failed, unknown or abandoned message back to `planned` (at once: a deferral's
        `not_before` is cleared, as by every move back to `planned` but `defer`); with `owner`,
        only while that claim still holds it (a reconciliation on one node never takes back a
        message another has claimed again since it looked)."""

    def claims(self, selection: Selection, statuses: Iterable[Status]) -> list[Message]:
        """The messages of `selection` in the given statuses, oldest first."""

    def recent_counts(
        self, recipients: Iterable[str], since: datetime, exclude: Iterable[int] = ()
    ) -> dict[str, int]:
        """How many messages went (or are going) to each of `recipients` since `since`, not
        counting the messages `exclude`; numbers with none are left out."""

    def record_attempt(
        self, message_id: int, now: datetime, *, error_code: str | None, error_text: str
    ) -> None:
        """Count one failed attempt that will be retried; the status stays `sending`."""

    def record_sent(
        self, accepted: Sequence[tuple[int, str | None, str]], now: datetime
    ) -> list[int]:
        """Mark messages sent: (id, provider id, event detail). Only messages still `sending`
        or `unknown` move; returns the ids that did."""

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
        """Move one message forward to `new` (setting `fields` too), appending an event; False
        if it cannot move. Not to `skipped`: a skip goes through `skip`, with its reason."""

    def skip(
        self, message_id: int, reason: SkipReason, now: datetime, *, source: str, detail: str
    ) -> bool:
        """Move one message to `skipped` for `reason`; `detail` (what a person reads) becomes
        its `error_text` and the event's detail. False if it cannot move."""

    def settle_planned(
        self, selection: Selection, new: Status, now: datetime, *, source: str, detail: str
    ) -> int:
        """Move every message of `selection` still `planned` to `new` (expired, canceled), with
        an event each; returns how many moved."""

    # --- suppression and pause ----------------------------------------------------------------

    def suppress(self, number: str, reason: str, source: str, now: datetime) -> bool:
        """Add a number to the suppression list; False if it was already there."""

    def unsuppress(self, number: str) -> bool:
        """Remove a number from the suppression list; False if it was not there."""

    def suppressions(self) -> list[Suppression]:
        """The whole suppression list, oldest first."""

    def suppressed(self, numbers: Iterable[str]) -> dict[str, str]:
        """Which of `numbers` are suppressed, with the reason."""

    def set_paused(self, campaign: str, paused: bool, now: datetime) -> None:
        """Pause or resume a campaign's dispatch."""

    # --- receipts -----------------------------------------------------------------------------

    def by_provider_id(self, provider_id: str) -> Message | None:
        """The message a provider knows by `provider_id`."""

    def apply_receipts(self, updates: Sequence[ReceiptUpdate], now: datetime) -> list[Applied]:
        """Apply receipts in order, all in one transaction: each moves its message forward when
        its status is further along (never back), and appends an event either way (a duplicate,
        late or unknown word changes nothing but is recorded). One `Applied` per update."""

    def note(
        self,
        message_id: int,
        now: datetime,
        *,
        source: str,
        detail: str,
        error_code: str | None = None,
    ) -> None:
        """Append an event that changes nothing (a duplicate or late receipt, a lookup)."""

    def unsettled(
        self, sent_before: datetime, *, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[Message]:
        """One page of the messages accepted by a provider before `sent_before` with no final
        status yet, oldest first by `(sent_at, id)`, starting after `after` (keyset paging)."""

    # --- reading and reports ------------------------------------------------------------------

    def messages(
        self,
        *,
        campaign: str | None = None,
        statuses: Iterable[Status] = (),
        occurrence: date | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages, newest first, optionally filtered."""

    def status_counts(
        self, campaign: str | None, push: str | None = None, occurrence: date | None = None
    ) -> Counter[str]:
        """How many messages are in each status (of every campaign when `campaign` is None)."""

    def daily_status_counts(
        self, campaign: str, first: date, last: date
    ) -> dict[date, Counter[str]]:
        """How many of the campaign's messages are in each status, by occurrence date from
        `first` to `last` (dates without messages absent): one grouped read for a board."""

    def outcome_counts(self, selection: Selection) -> list[OutcomeCount]:
        """How many messages of each push and date of `selection` are in each status and skip
        reason, in no particular order."""

    def contact_reach(
        self, selection: Selection, unconfirmed_gateways: Collection[str]
    ) -> Iterator[ContactReach]:
        """Each contact's best `ReachState` per push of `selection` (delivered, or `sent`
        through one of `unconfirmed_gateways`, which never confirm delivery: reached; `sent`
        through another: awaiting a receipt), by contact id then push, streamed."""

    def unreached(
        self,
        selection: Selection,
        unconfirmed_gateways: Collection[str],
        limit: int | None = None,
    ) -> Iterator[UnreachedRow]:
        """The last message (highest id) of each contact of `selection` whose best state is
        `not_reached`, by contact id, streamed (the first `limit` only, when given)."""

    def receipt_summary(self, selection: Selection) -> list[GatewayReceipts]:
        """Per gateway that accepted messages of `selection`, by name: how many it accepted
        (sent, delivered, undelivered), how many still await a receipt (`sent`), and when the
        last receipt (an event from a callback or a poll) arrived."""

    # --- questions and replies (`reminder.store.replies`, `reminder.store.matching`) ---------

    def ask(
        self,
        campaign: str,
        push: str,
        occurrence: date,
        keywords: Collection[str],
        within_seconds: int,
        now: datetime,
    ) -> bool:
        """Record that the messages of this occurrence ask for an answer (`keywords` already
        normalised); False if it was recorded already (the first record stays)."""

    def add_replies(self, replies: Sequence[NewReply], now: datetime) -> list[ReplyOutcome | None]:
        """Record each reply once, in order, all in one transaction, with what it was found to
        be (`reminder.store.matching.decide` over the sender's open questions; an opt-out is
        `opted_out` and matches nothing); an acknowledgement appends an event to its message
        that changes nothing of its status. A reply whose `(gateway, provider_id)` was recorded
        already is a duplicate: None, and nothing written."""

    def replies(
        self,
        *,
        campaign: str | None = None,
        push: str | None = None,
        occurrence: date | None = None,
        outcomes: Collection[ReplyOutcome] = (),
        limit: int | None = None,
    ) -> list[Reply]:
        """Replies, newest first, optionally filtered (by the campaign, push and date of the
        message they acknowledge, and by outcome)."""

    # --- users, approvals and the audit trail (`reminder.store.records`) --------------------

    def add_user(self, user: User) -> bool:
        """Add a user; False if the name is taken."""

    def user(self, name: str) -> User | None:
        """One user by name."""

    def users(self) -> list[User]:
        """Every user, by name."""

    def update_user(self, name: str, **values: Any) -> bool:
        """Change a user's `role`, `password_hash` or `disabled`; False if there is no such user."""

    def add_approval(self, approval: Approval) -> int:
        """Add a request for approval; its id."""

    def decide_approval(
        self, approval_id: int, status: str, by: str, at: datetime, comment: str, *, current: str
    ) -> bool:
        """Move an approval from `current` to `status`, by `by`; False if it is not `current`
        (two approvers at once: one wins)."""

    def approvals(self, campaign: str | None = None) -> list[Approval]:
        """Approvals (of one campaign), newest first."""

    def append_audit(
        self, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
    ) -> AuditEntry:
        """Append one entry to the audit trail with the next id, chained to the newest entry
        (`reminder.store.chain`); returns it. Entries are never changed or removed."""

    def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        newest: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries oldest first: by `actor`, whose action and subject start with `action`
        and `subject`; only the `newest` so many when given."""

    def audit_count(self) -> int:
        """How many entries the audit trail holds."""

    # --- the console's sessions (`reminder.store.records.WebSession`) ------------------------

    def add_session(self, session: WebSession) -> None:
        """Keep a new session (keyed by the SHA-256 of its token)."""

    def web_session(self, token_hash: str) -> WebSession | None:
        """The session whose token hashes to `token_hash`, expired or not."""

    def renew_session(self, token_hash: str, idle_until: datetime) -> None:
        """Push a session's idle end on."""

    def end_session(self, token_hash: str) -> None:
        """Delete a session (a logout, an expiry); nothing if there is none."""

    def end_sessions_before(self, moment: datetime) -> int:
        """Delete every session idle or over at `moment`; how many."""
