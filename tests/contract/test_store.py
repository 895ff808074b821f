"""One contract suite over every store: the SQL store on SQLite, on PostgreSQL (when
REMINDER_TEST_DATABASE_URL is set), and `reminder.testing.InMemoryStore` — the fake the unit
tests rely on behaves as the real stores do, or this fails."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from reminder.status import Status
from reminder.store import (
    NewMessage,
    OutcomeCount,
    ReachState,
    Selection,
    SkipReason,
    SqlStore,
    Store,
    WebSession,
    open_store,
)
from reminder.store.sql.tables import MESSAGE
from reminder.store.values import Applied, ReceiptUpdate
from reminder.testing import InMemoryStore
from tests.support.databases import database_kinds, fresh_database
from tests.support.stores import add_planned, claim, events, get

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
DAY = date(2027, 2, 1)
SPRING_DAY = Selection("spring", "daily", DAY)

#: Opens another handle on the same store (another engine on the same database; the same
#: object in memory): as a second process would see it.
Opener = Callable[[], Store]


@pytest.fixture(params=["memory", *database_kinds()])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    if request.param == "memory":
        memory = InMemoryStore()
        yield lambda: memory
        return
    with fresh_database(request.param, tmp_path) as url:
        opened: list[Store] = []

        def open_one() -> Store:
            opened.append(open_store(url))
            return opened[-1]

        try:
            yield open_one
        finally:
            for store in opened:
                store.close()


@pytest.fixture
def store(opener: Opener) -> Store:
    return opener()


def message(
    contact: str = "c001",
    day: date = DAY,
    push: str = "daily",
    recipient: str | None = None,
    campaign: str = "spring",
) -> NewMessage:
    return NewMessage(
        campaign=campaign,
        push=push,
        occurrence=day,
        contact_id=contact,
        recipient=recipient or f"+86138001{contact[1:]:0>5}",
        body="【测试】你好",
        segments=1,
        encoding="UCS-2",
        template="daily.j2",
        variables={"contact_name": "张三"},
        case_id="k01",
    )


def planned(store: Store, count: int) -> list[int]:
    """`count` messages of the daily push on DAY, to contacts c000, c001, …; their ids."""
    return add_planned(store, [message(f"c{i:03d}") for i in range(count)], NOW)


def sent(store: Store, count: int, at: datetime = NOW) -> list[int]:
    """`count` messages claimed and accepted at `at` (provider ids `SM<id>`)."""
    ids = planned(store, count)
    store.claim_batch(SPRING_DAY, "twilio", "me", at, count)
    store.record_sent([(i, f"SM{i}", "accepted") for i in ids], at)
    return ids


# --- planning ---------------------------------------------------------------------------------


def test_planning_the_same_occurrence_twice_adds_nothing(store: Store) -> None:
    assert store.add_planned_batches([[message("c001"), message("c002")]], NOW) == 2
    again = [[message("c001")], [message("c002"), message("c003")]]
    assert store.add_planned_batches(again, NOW) == 1
    assert sorted(m.contact_id for m in store.messages()) == ["c001", "c002", "c003"]
    assert store.add_planned_batches([[message("c001", day=date(2027, 2, 2))]], NOW) == 1
    assert store.add_planned_batches([[message("c001", push="family")]], NOW) == 1
    for m in store.messages(occurrence=DAY):
        assert m.id is not None
        assert [(e.previous, e.status, e.source) for e in events(store, m.id)] == [
            (None, "planned", "plan")
        ]


def test_a_batch_that_fails_to_render_writes_nothing(store: Store) -> None:
    def batches() -> Iterator[list[NewMessage]]:
        yield [message("c001")]
        raise RuntimeError("a template failed")

    with pytest.raises(RuntimeError):
        store.add_planned_batches(batches(), NOW)
    assert store.messages() == [] and not store.has_planned("spring", "daily", DAY)


def test_what_an_occurrence_already_has(store: Store) -> None:
    assert not store.has_planned("spring", "daily", DAY)
    (first, _) = planned(store, 2)
    store.claim_batch(SPRING_DAY, "file", "me", NOW, 1)
    assert store.has_planned("spring", "daily", DAY)
    assert not store.has_planned("spring", "daily", date(2027, 2, 2))
    assert store.statuses_of("spring", "daily", DAY, ["c000", "c001", "c404"]) == {
        "c000": Status.sending,
        "c001": Status.planned,
    }
    assert get(store, first).claimed_by == "me"


def test_planned_messages_keep_what_planning_said(store: Store) -> None:
    skipped = message("c001")
    skipped.status, skipped.error_text = Status.skipped, "suppressed: STOP"
    skipped.skip_reason = SkipReason.suppressed
    (plain, marked) = add_planned(store, [message("c000"), skipped], NOW)
    stored = get(store, marked)
    assert (stored.status, stored.skip_reason, stored.error_text) == (
        "skipped",
        "suppressed",
        "suppressed: STOP",
    )
    assert get(store, plain).skip_reason is None
    assert get(store, plain).variables == {"contact_name": "张三"}


def test_timestamps_are_kept_in_utc(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    (message_id,) = add_planned(store, [message()], datetime(2027, 2, 1, 8, 30, tzinfo=shanghai))
    stored = get(store, message_id)
    assert stored.created_at == NOW and stored.created_at.tzinfo == UTC
    with pytest.raises(ValueError, match="aware"):
        store.add_planned_batches([[message("c009")]], datetime(2027, 2, 1, 8, 30))


# --- claims -----------------------------------------------------------------------------------


def test_two_claimers_never_get_the_same_message(opener: Opener) -> None:
    first, second = opener(), opener()
    ids = planned(first, 10)
    a = first.claim_batch(SPRING_DAY, "file", "a", NOW, 4)
    b = second.claim_batch(SPRING_DAY, "file", "b", NOW, 4)
    c = first.claim_batch(SPRING_DAY, "file", "a", NOW, 4)
    assert [m.id for m in a] == ids[:4], "oldest first"
    assert [m.id for m in b] == ids[4:8] and [m.id for m in c] == ids[8:]
    assert second.claim_batch(SPRING_DAY, "file", "b", NOW, 4) == []
    assert {m.claimed_by for m in a + c} == {"a"} and {m.status for m in b} == {"sending"}
    assert [(e.previous, e.status) for e in events(first, ids[5])] == [
        (None, "planned"),
        ("planned", "sending"),
    ]


@pytest.mark.parametrize("claimers", [2, 4])
def test_claimers_racing_in_threads_split_the_messages(opener: Opener, claimers: int) -> None:
    ids = planned(opener(), 120)
    got: dict[str, list[int]] = {f"owner{n}": [] for n in range(claimers)}

    def claimer(owner: str, store: Store) -> None:
        while batch := store.claim_batch(SPRING_DAY, "file", owner, NOW, 7):
            got[owner] += [m.id for m in batch if m.id is not None]

    threads = [threading.Thread(target=claimer, args=(o, opener())) for o in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for owned in got.values() for i in owned) == ids, "each claimed once"
    check, once = opener(), [(None, "planned"), ("planned", "sending")]
    assert all([(e.previous, e.status) for e in events(check, i)] == once for i in ids)


def test_a_claim_on_postgresql_skips_the_rows_another_claim_holds(opener: Opener) -> None:
    store = opener()
    if not isinstance(store, SqlStore) or store.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    ids = planned(store, 10)
    got: list[list[int]] = []
    with store.engine.connect() as held:
        # Another node's claim in flight: the four oldest rows locked, not yet updated.
        held.execute(select(MESSAGE.c.id).where(MESSAGE.c.id.in_(ids[:4])).with_for_update()).all()
        claimer = threading.Thread(
            target=lambda: got.append(
                [m.id or 0 for m in opener().claim_batch(SPRING_DAY, "file", "b", NOW, 4)]
            )
        )
        claimer.start()
        claimer.join(timeout=20)
        waited = claimer.is_alive()
        held.rollback()
    claimer.join()
    assert not waited, "the claim waited on locked rows instead of skipping them"
    assert got == [ids[4:8]]
    assert [m.id for m in store.claim_batch(SPRING_DAY, "file", "a", NOW, 10)] == ids[:4] + ids[8:]


def test_paused_campaigns_are_not_claimed(store: Store) -> None:
    (message_id,) = planned(store, 1)
    store.set_paused("spring", True, NOW)
    assert store.claim_batch(Selection("spring"), "file", "me", NOW, 10) == []
    store.set_paused("spring", False, NOW)
    claimed = store.claim_batch(Selection("spring"), "file", "me", NOW, 10)
    assert [m.id for m in claimed] == [message_id] and claimed[0].gateway == "file"


def test_only_the_owner_releases_a_claim(store: Store) -> None:
    (message_id,) = planned(store, 1)
    wall = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    (claimed,) = store.claim_batch(SPRING_DAY, "file", "me", NOW, 10, claimed_at=wall)
    assert claimed.claimed_at == wall
    assert store.release([message_id], "other", NOW, "not mine") == 0
    assert store.release([message_id], "me", NOW, "stopping") == 1
    assert store.release([message_id], "me", NOW, "twice") == 0
    again = get(store, message_id)
    assert (again.status, again.claimed_by) == ("planned", None)
    assert events(store, message_id)[-1].detail == "stopping"


def test_a_deferred_message_is_not_claimed_before_its_time(store: Store) -> None:
    first, second = planned(store, 2)
    store.claim_batch(SPRING_DAY, "aliyun", "me", NOW, 2)
    later = NOW + timedelta(hours=3)
    assert not store.defer(first, "other", NOW, later, error_code="X", detail="not mine")
    assert store.defer(first, "me", NOW, later, error_code="LIMIT", detail="deferred: limit")
    assert not store.defer(first, "me", NOW, later, error_code="LIMIT", detail="twice")
    deferred = get(store, first)
    assert (deferred.status, deferred.claimed_by, deferred.not_before) == ("planned", None, later)
    last = events(store, first)[-1]
    assert (last.previous, last.status, last.error_code, last.detail) == (
        "sending",
        "planned",
        "LIMIT",
        "deferred: limit",
    )
    assert store.claim_batch(SPRING_DAY, "aliyun", "me", NOW + timedelta(hours=2), 5) == []
    (again,) = store.claim_batch(SPRING_DAY, "aliyun", "me", later, 5)
    assert again.id == first
    store.transition(second, Status.failed, NOW, source="gateway", detail="x")
    store.defer(first, "me", later, later + timedelta(days=1), error_code=None, detail="again")
    store.claim_batch(SPRING_DAY, "aliyun", "me", later, 5)
    assert store.requeue(second, later, source="operator", detail="retry")
    assert get(store, second).not_before is None, "a requeued message goes at once"


def test_claims_lists_messages_in_given_statuses(store: Store) -> None:
    ids = planned(store, 3)
    store.claim_batch(SPRING_DAY, "file", "me", NOW, 2)
    store.transition(ids[1], Status.unknown, NOW, source="gateway", detail="timeout")
    assert [m.id for m in store.claims(SPRING_DAY, [Status.sending])] == [ids[0]]
    both = store.claims(Selection("spring"), [Status.sending, Status.unknown])
    assert [m.id for m in both] == ids[:2]
    assert store.claims(Selection("autumn"), [Status.planned]) == []


# --- moves ------------------------------------------------------------------------------------


def test_status_only_moves_forward_and_events_are_appended(store: Store) -> None:
    (message_id,) = planned(store, 1)
    assert claim(store, message_id, "file", NOW) is not None
    assert claim(store, message_id, "file", NOW) is None, "a message is claimed once"
    assert store.transition(message_id, Status.sent, NOW, source="gateway")
    assert store.transition(message_id, Status.delivered, NOW, source="receipt")
    assert not store.transition(message_id, Status.sent, NOW, source="receipt")
    assert not store.transition(message_id, Status.failed, NOW, source="receipt")
    assert not store.transition(10_000, Status.sent, NOW, source="receipt"), "no such message"
    assert get(store, message_id).status == "delivered"
    assert [(e.previous, e.status) for e in events(store, message_id)] == [
        (None, "planned"),
        ("planned", "sending"),
        ("sending", "sent"),
        ("sent", "delivered"),
    ]


def test_a_transition_sets_its_fields_and_error(store: Store) -> None:
    (message_id,) = planned(store, 1)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 1)
    later = NOW + timedelta(minutes=1)
    fields = {"error_code": "30003", "error_text": "Unreachable"}
    assert store.transition(
        message_id,
        Status.failed,
        later,
        source="gateway",
        error_code="30003",
        detail="Unreachable (permanent)",
        count_attempt=True,
        fields=fields,
    )
    failed = get(store, message_id)
    assert (failed.status, failed.error_code, failed.error_text, failed.attempts) == (
        "failed",
        "30003",
        "Unreachable",
        1,
    )
    assert failed.updated_at == later
    assert events(store, message_id)[-1].detail == "Unreachable (permanent)"


def test_a_skip_carries_its_reason(store: Store) -> None:
    (first, second) = planned(store, 2)
    with pytest.raises(ValueError, match="skip"):
        store.transition(first, Status.skipped, NOW, source="dispatch", detail="no reason")
    assert store.skip(first, SkipReason.per_number_cap, NOW, source="dispatch", detail="cap: 3")
    assert not store.skip(first, SkipReason.suppressed, NOW, source="dispatch", detail="again")
    skipped = get(store, first)
    assert (skipped.status, skipped.skip_reason, skipped.error_text) == (
        "skipped",
        "per_number_cap",
        "cap: 3",
    )
    assert get(store, second).skip_reason is None
    assert (events(store, first)[-1].status, events(store, first)[-1].detail) == (
        "skipped",
        "cap: 3",
    )


def test_record_sent_moves_only_what_is_being_sent(store: Store) -> None:
    ids = planned(store, 3)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 2)
    store.transition(ids[1], Status.unknown, NOW, source="gateway", detail="timeout")
    store.record_attempt(ids[0], NOW, error_code="20429", error_text="busy")
    later = NOW + timedelta(seconds=5)
    accepted = [(i, f"SM{i}", "accepted (queued)") for i in ids]
    assert sorted(store.record_sent(accepted, later)) == ids[:2], "planned ones do not move"
    first = get(store, ids[0])
    assert (first.status, first.provider_id, first.sent_at, first.attempts) == (
        "sent",
        f"SM{ids[0]}",
        later,
        2,
    )
    assert (first.error_code, first.error_text) == (None, None)
    assert [(e.status, e.error_code, e.detail) for e in events(store, ids[0])][-2:] == [
        ("sending", "20429", "retryable: busy"),
        ("sent", None, "accepted (queued)"),
    ]
    assert store.record_sent(accepted, later) == [], "twice moves nothing"
    found = store.by_provider_id(f"SM{ids[1]}")
    assert found is not None and found.id == ids[1]
    assert store.by_provider_id("SM-nobody") is None


def test_a_claim_and_its_acceptances_log_one_event_a_message_with_its_own_detail(
    store: Store,
) -> None:
    ids = planned(store, 5)
    claimed = store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 5)
    assert sorted(m.id for m in claimed) == ids
    details = ["accepted (queued)", "accepted", "accepted (queued)", "accepted (sent)", "accepted"]
    later = NOW + timedelta(seconds=2)
    store.record_sent([(i, f"SM{i}", d) for i, d in zip(ids, details, strict=True)], later)
    for message_id, detail in zip(ids, details, strict=True):
        logged = [
            (e.previous, e.status, e.source, e.detail, e.at) for e in events(store, message_id)
        ]
        assert logged[1:] == [
            ("planned", "sending", "dispatch", None, NOW),
            ("sending", "sent", "gateway", detail, later),
        ]


def test_requeue_puts_back_only_what_may_be_retried(store: Store) -> None:
    ids = planned(store, 3)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 3)
    store.transition(ids[0], Status.failed, NOW, source="gateway", detail="30003")
    store.transition(ids[1], Status.unknown, NOW, source="gateway", detail="timeout")
    store.record_sent([(ids[2], "SM2", "accepted")], NOW)
    assert store.requeue(ids[0], NOW, source="operator", detail="retry")
    assert store.requeue(ids[1], NOW, source="reconcile", detail="never received")
    assert not store.requeue(ids[2], NOW, source="operator", detail="retry"), "sent stays sent"
    assert not store.requeue(ids[0], NOW, source="operator", detail="retry"), "planned already"
    assert [get(store, i).status for i in ids] == ["planned", "planned", "sent"]
    assert [(e.previous, e.status, e.source) for e in events(store, ids[1])][-1] == (
        "unknown",
        "planned",
        "reconcile",
    )


def test_a_requeue_for_a_claim_that_no_longer_holds_changes_nothing(store: Store) -> None:
    """Two nodes reconcile one abandoned message: the first puts it back, a third node claims
    it again; the second node's requeue, for the dead claim it saw, must not take it back."""
    (only,) = planned(store, 1)
    store.claim_batch(SPRING_DAY, "twilio", "dead", NOW, 1)
    assert store.requeue(only, NOW, source="reconcile", detail="never received", owner="dead")
    store.claim_batch(SPRING_DAY, "twilio", "alive", NOW, 1)
    assert not store.requeue(only, NOW, source="reconcile", detail="stale", owner="dead")
    assert get(store, only).status == "sending" and get(store, only).claimed_by == "alive"


def test_settling_an_occurrence_moves_only_what_is_still_planned(store: Store) -> None:
    ids = planned(store, 5)
    (other_day,) = add_planned(store, [message("c000", day=date(2027, 2, 2))], NOW)
    store.claim_batch(SPRING_DAY, "file", "me", NOW, 1)
    moved = store.settle_planned(
        SPRING_DAY, Status.expired, NOW, source="scheduler", detail="missed by 3h00m"
    )
    assert moved == 4
    statuses = {m.id: (m.status, m.error_text, m.skip_reason) for m in store.messages()}
    assert statuses[ids[0]] == ("sending", None, None)
    assert all(statuses[i] == ("expired", "missed by 3h00m", None) for i in ids[1:])
    assert statuses[other_day] == ("planned", None, None)
    assert [(e.previous, e.status, e.source) for e in events(store, ids[1])][-1] == (
        "planned",
        "expired",
        "scheduler",
    )
    for wrong in (Status.planned, Status.skipped):
        with pytest.raises(ValueError):
            store.settle_planned(Selection("spring"), wrong, NOW, source="x", detail="y")


def test_a_note_changes_nothing_but_is_recorded(store: Store) -> None:
    (message_id,) = sent(store, 1)
    store.note(message_id, NOW, source="callback", detail="late: queued", error_code="30001")
    assert get(store, message_id).status == "sent"
    last = events(store, message_id)[-1]
    assert (last.previous, last.status, last.source, last.error_code, last.detail) == (
        "sent",
        "sent",
        "callback",
        "30001",
        "late: queued",
    )


def test_receipts_in_a_batch_move_forward_in_order_and_each_is_recorded(store: Store) -> None:
    """A batch of receipts as a callback storm brings them: out of order, duplicated, for an
    unknown message, with a word nobody knows. Each message ends at the furthest status any
    receipt gave it; every receipt for a known message leaves one event."""
    ids = sent(store, 3)
    sids = [get(store, i).provider_id or "" for i in ids]
    later = NOW + timedelta(minutes=1)
    updates = [
        ReceiptUpdate(sids[0], Status.delivered, "delivered", "callback"),
        ReceiptUpdate(sids[0], Status.sent, "sent", "callback"),
        ReceiptUpdate(sids[0], Status.delivered, "delivered", "callback"),
        ReceiptUpdate(sids[1], Status.sent, "queued", "callback"),
        ReceiptUpdate(sids[1], Status.undelivered, "undelivered", "callback", "30003", "off"),
        ReceiptUpdate("SM-nobody", Status.delivered, "delivered", "callback"),
        ReceiptUpdate(sids[2], None, "mystery", "poll"),
    ]
    applied = store.apply_receipts(updates, later)
    assert applied == [
        Applied(ids[0], True),
        Applied(ids[0], False),
        Applied(ids[0], False),
        Applied(ids[1], False),
        Applied(ids[1], True),
        Applied(None, False),
        Applied(ids[2], False),
    ]
    first, second, third = (get(store, i) for i in ids)
    assert (first.status, first.error_code, first.error_text) == (
        "delivered",
        None,
        "callback: delivered",
    )
    assert (second.status, second.error_code, second.error_text) == ("undelivered", "30003", "off")
    assert third.status == "sent"
    assert first.updated_at == later
    assert [(e.previous, e.status, e.detail) for e in events(store, ids[0])][-3:] == [
        ("sent", "delivered", "callback: delivered"),
        ("delivered", "delivered", "callback: sent (no change from delivered)"),
        ("delivered", "delivered", "callback: delivered (no change from delivered)"),
    ]
    assert [(e.previous, e.status, e.error_code) for e in events(store, ids[1])][-2:] == [
        ("sent", "sent", None),
        ("sent", "undelivered", "30003"),
    ]
    assert events(store, ids[2])[-1].detail == "poll: mystery (no change from sent)"
    assert store.apply_receipts(updates[:1], later) == [Applied(ids[0], False)]
    assert store.apply_receipts([], later) == []


# --- suppression ------------------------------------------------------------------------------


def test_suppression_list(store: Store) -> None:
    assert store.suppressed(["+8613800138000"]) == {}
    assert store.suppress("+8613800138000", "STOP", "inbound", NOW)
    assert not store.suppress("+8613800138000", "again", "operator", NOW)
    assert store.suppress("+8613700137000", "operator", "operator", NOW + timedelta(hours=1))
    assert store.suppressed(["+8613800138000", "+8613900139000"]) == {"+8613800138000": "STOP"}
    listed = store.suppressions()
    assert [(s.number, s.reason, s.source) for s in listed] == [
        ("+8613800138000", "STOP", "inbound"),
        ("+8613700137000", "operator", "operator"),
    ]
    assert listed[0].created_at == NOW
    assert store.unsuppress("+8613800138000") and not store.unsuppress("+8613800138000")
    assert store.suppressed(["+8613800138000"]) == {}


# --- reading ----------------------------------------------------------------------------------


def test_daily_status_counts_group_a_campaign_by_date(store: Store) -> None:
    ids = planned(store, 3)
    later, outside = date(2027, 2, 3), date(2027, 2, 9)
    add_planned(store, [message("c000", day=later), message("c001", day=later, push="family")], NOW)
    add_planned(store, [message("c000", day=outside), message("c000", campaign="autumn")], NOW)
    store.skip(ids[0], SkipReason.suppressed, NOW, source="dispatch", detail="suppressed: STOP")
    found = store.daily_status_counts("spring", DAY, date(2027, 2, 5))
    assert found == {DAY: {"planned": 2, "skipped": 1}, later: {"planned": 2}}
    assert store.daily_status_counts("autumn", later, outside) == {}


def test_status_counts_and_filters(store: Store) -> None:
    ids = planned(store, 5)
    add_planned(store, [message("c000", campaign="autumn")], NOW)
    store.claim_batch(SPRING_DAY, "file", "me", NOW, 1)
    store.record_sent([(ids[0], None, "accepted")], NOW)
    store.skip(ids[1], SkipReason.suppressed, NOW, source="dispatch", detail="suppressed: STOP")
    assert store.status_counts("spring", "daily", DAY) == {"sent": 1, "skipped": 1, "planned": 3}
    assert store.status_counts(None) == {"sent": 1, "skipped": 1, "planned": 4}
    assert store.status_counts("spring", "family") == {}
    assert [m.id for m in store.messages(statuses=[Status.sent])] == [ids[0]]
    newest = store.messages(campaign="spring", limit=2)
    assert [m.id for m in newest] == [ids[4], ids[3]], "newest first"
    assert store.messages(occurrence=date(2027, 2, 2)) == []


def test_what_a_caller_changes_is_not_stored(store: Store) -> None:
    (message_id,) = planned(store, 1)
    read = get(store, message_id)
    read.status = "delivered"
    read.variables["contact_name"] = "李四"
    again = get(store, message_id)
    assert (again.status, again.variables) == ("planned", {"contact_name": "张三"})


def test_recent_counts_count_what_went_out_in_the_window(store: Store) -> None:
    same = "+8613800138000"
    messages = [message(f"c{i:03d}", recipient=same) for i in range(4)]
    ids = add_planned(store, [*messages, message("c010")], NOW)
    store.claim_batch(SPRING_DAY, "file", "me", NOW - timedelta(hours=30), 1)
    store.record_sent([(ids[0], None, "accepted")], NOW - timedelta(hours=30))  # too long ago
    store.claim_batch(SPRING_DAY, "file", "me", NOW, 2)  # one sent, one still being sent
    store.record_sent([(ids[1], None, "accepted")], NOW)
    since = NOW - timedelta(hours=24)
    assert store.recent_counts([same, "+8613900139000"], since) == {same: 2}
    assert store.recent_counts([same], since, exclude=[ids[2]]) == {same: 1}
    assert store.recent_counts([], since) == {}


def test_unsettled_pages_through_sent_messages_oldest_first(store: Store) -> None:
    ids = planned(store, 5)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 5)
    for minutes, message_id in zip((3, 1, 1, 2), ids, strict=False):
        store.record_sent([(message_id, f"SM{message_id}", "ok")], NOW + timedelta(minutes=minutes))
    store.transition(ids[3], Status.delivered, NOW, source="callback")
    cutoff = NOW + timedelta(minutes=10)
    first = store.unsettled(cutoff, limit=2)
    assert [m.id for m in first] == [ids[1], ids[2]]
    last = first[-1]
    assert last.sent_at is not None and last.id is not None
    rest = store.unsettled(cutoff, after=(last.sent_at, last.id), limit=2)
    assert [m.id for m in rest] == [ids[0]], "delivered and unsent ones are settled or not sent"
    assert [m.id for m in store.unsettled(NOW + timedelta(minutes=2))] == [ids[1], ids[2]]


# --- reports ----------------------------------------------------------------------------------


def test_outcome_counts_by_status_and_skip_reason(store: Store) -> None:
    ids = planned(store, 6)
    add_planned(store, [message("c000", day=date(2027, 2, 2)), message("c001", push="x")], NOW)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 3)
    store.record_sent([(ids[0], "SM0", "ok")], NOW)
    store.skip(ids[1], SkipReason.suppressed, NOW, source="dispatch", detail="suppressed: STOP")
    store.skip(ids[2], SkipReason.per_number_cap, NOW, source="dispatch", detail="cap")
    store.skip(ids[3], SkipReason.suppressed, NOW, source="dispatch", detail="suppressed: x")
    store.settle_planned(SPRING_DAY, Status.canceled, NOW, source="operator", detail="no")
    counts = store.outcome_counts(SPRING_DAY)
    assert sorted(counts, key=lambda c: (c.status, c.skip_reason or "")) == [
        OutcomeCount("daily", DAY, Status.canceled, None, 2),
        OutcomeCount("daily", DAY, Status.sent, None, 1),
        OutcomeCount("daily", DAY, Status.skipped, SkipReason.per_number_cap, 1),
        OutcomeCount("daily", DAY, Status.skipped, SkipReason.suppressed, 2),
    ]
    whole = store.outcome_counts(Selection("spring"))
    assert sum(c.count for c in whole) == 8 and {c.push for c in whole} == {"daily", "x"}
    assert store.outcome_counts(Selection("autumn")) == []


def reach_setup(store: Store) -> tuple[list[int], list[int]]:
    """Four contacts on two days. Day 1: c000 sent through console (reached), c001 failed,
    c002 failed, c003 being sent. Day 2: c000 sent through console, c001 delivered, c002
    unknown, c003 planned then claimed; and c004 on day 2 through twilio, awaiting a receipt."""
    day2 = date(2027, 2, 2)
    first = planned(store, 4)
    second = add_planned(store, [message(f"c{i:03d}", day=day2) for i in range(4)], NOW)
    store.claim_batch(Selection("spring"), "console", "me", NOW, 8)
    store.record_sent([(first[0], None, "ok"), (second[0], None, "ok")], NOW)  # console: reached
    store.transition(first[1], Status.failed, NOW, source="gateway", error_code="30003")
    store.record_sent([(second[1], "SM1", "ok")], NOW)
    store.transition(second[1], Status.delivered, NOW, source="callback")  # reached on day 2
    store.transition(first[2], Status.failed, NOW, source="gateway", detail="bad number")
    store.transition(second[2], Status.unknown, NOW, source="gateway", detail="timeout")
    (waiting,) = add_planned(store, [message("c004", day=day2)], NOW)
    store.claim_batch(Selection("spring", None, day2), "twilio", "me", NOW, 1)
    store.record_sent([(waiting, "SM4", "ok")], NOW)
    return first, second


def test_contact_reach_streams_each_contacts_best_state(store: Store) -> None:
    reach_setup(store)
    found = [
        (r.contact_id, r.push, r.state)
        for r in store.contact_reach(Selection("spring"), ["console"])
    ]
    assert found == [
        ("c000", "daily", ReachState.reached),
        ("c001", "daily", ReachState.reached),
        ("c002", "daily", ReachState.not_reached),
        ("c003", "daily", ReachState.not_reached),
        ("c004", "daily", ReachState.awaiting),
    ]
    unconfirmed = {r.contact_id: r.state for r in store.contact_reach(Selection("spring"), [])}
    assert unconfirmed["c000"] is ReachState.awaiting, "console sent without a receipt"
    day1 = store.contact_reach(Selection("spring", until=DAY), ["console"])
    assert [r.contact_id for r in day1 if r.state is ReachState.reached] == ["c000"]


def test_unreached_streams_the_last_message_of_each_contact_never_reached(store: Store) -> None:
    reach_setup(store)
    rows = list(store.unreached(Selection("spring"), ["console"]))
    assert [(r.contact_id, r.status, r.occurrence) for r in rows] == [
        ("c002", Status.unknown, date(2027, 2, 2)),
        ("c003", Status.sending, date(2027, 2, 2)),
    ], "by contact id; c004 awaits a receipt and is not in the list"
    assert rows[0].recipient == "+8613800100002" and rows[0].error_text == "timeout"
    assert [r.contact_id for r in store.unreached(Selection("spring"), ["console"], limit=1)] == [
        "c002"
    ]
    day1 = list(store.unreached(Selection("spring", None, DAY), ["console"]))
    assert [(r.contact_id, r.error_code) for r in day1] == [
        ("c001", "30003"),
        ("c002", None),
        ("c003", None),
    ]
    assert list(store.unreached(Selection("autumn"), [])) == []


def test_receipt_summary_per_gateway(store: Store) -> None:
    reach_setup(store)
    later = NOW + timedelta(hours=2)
    store.apply_receipts([ReceiptUpdate("SM4", None, "queued", "callback")], later)
    summary = store.receipt_summary(Selection("spring"))
    assert [(g.gateway, g.accepted, g.awaiting) for g in summary] == [  # by status alone
        ("console", 3, 2),
        ("twilio", 1, 1),
    ]
    console, twilio = summary
    assert console.last_receipt == NOW, "c001's delivery came by callback"
    assert twilio.last_receipt == later
    assert store.receipt_summary(Selection("autumn")) == []


# --- users, approvals and the audit trail ------------------------------------------------------


def test_users_are_added_once_and_changed_by_name(store: Store) -> None:
    from reminder.store import User

    assert store.add_user(User(name="li", role="drafter", password_hash="h", created_at=NOW))
    assert not store.add_user(User(name="li", role="admin", password_hash="x", created_at=NOW))
    assert store.update_user("li", disabled=True, role="approver")
    assert not store.update_user("nobody", disabled=True)
    found = store.user("li")
    assert found is not None and found.disabled and found.role == "approver"
    assert found.created_at == NOW and [u.name for u in store.users()] == ["li"]


def test_an_approval_is_decided_once(store: Store) -> None:
    from reminder.store import Approval

    request = Approval(
        campaign="spring", day=DAY, fingerprint="f" * 64, status="requested",
        requested_by="li", requested_at=NOW,
    )  # fmt: skip
    first = store.add_approval(request)
    second = store.add_approval(request.model_copy(update={"day": None, "year": 2027}))
    assert store.decide_approval(first, "approved", "wang", NOW, "ok", current="requested")
    assert not store.decide_approval(first, "rejected", "zhao", NOW, "no", current="requested")
    newest_first = store.approvals("spring")
    assert [a.id for a in newest_first] == [second, first]
    assert (newest_first[1].status, newest_first[1].decided_by) == ("approved", "wang")
    assert newest_first[1].day == DAY and newest_first[0].year == 2027
    assert store.approvals("autumn") == []


def test_audit_entries_are_chained_with_consecutive_ids(store: Store) -> None:
    from reminder.store.chain import GENESIS, first_broken

    first = store.append_audit(NOW, "li", "approval.requested", "spring/2027-02-01", {"n": 1})
    second = store.append_audit(NOW, "wang", "approval.granted", "spring/2027-02-01", {})
    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    entries = store.audit_entries()
    assert [e.hash for e in entries] == [first.hash, second.hash]
    assert first_broken(entries) is None
    assert [e.id for e in store.audit_entries(action="approval.g")] == [2]
    assert [e.id for e in store.audit_entries(actor="li")] == [1]
    assert [e.id for e in store.audit_entries(newest=1)] == [2]
    assert store.audit_count() == 2


def test_audit_entries_written_concurrently_keep_one_chain(opener: Opener) -> None:
    from reminder.store.chain import first_broken

    def write(name: str) -> None:
        mine = opener()
        for i in range(10):
            mine.append_audit(NOW, name, "test", f"{name}/{i}", {})

    threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = opener().audit_entries()
    assert len(entries) == 30 and first_broken(entries) is None


def test_console_sessions_are_shared_renewed_and_ended(opener: Opener) -> None:
    one, other = opener(), opener()
    session = WebSession(
        token_hash="a" * 64,
        csrf="token",
        user="wang",
        idle_until=NOW + timedelta(minutes=30),
        ends=NOW + timedelta(hours=12),
    )
    one.add_session(session)
    one.add_session(session.model_copy(update={"token_hash": "b" * 64, "user": None, "ends": NOW}))
    found = other.web_session("a" * 64)
    assert found == session, "another process reads the same session"
    assert other.web_session("c" * 64) is None
    other.renew_session("a" * 64, NOW + timedelta(minutes=45))
    renewed = one.web_session("a" * 64)
    assert renewed is not None and renewed.idle_until == NOW + timedelta(minutes=45)
    assert one.end_sessions_before(NOW) == 1, "the one over at NOW"
    assert one.web_session("b" * 64) is None and one.web_session("a" * 64) is not None
    other.end_session("a" * 64)
    other.end_session("a" * 64)
    assert one.web_session("a" * 64) is None
