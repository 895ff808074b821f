"""The store on a real SQLite file, and on PostgreSQL when REMINDER_TEST_DATABASE_URL is set.
Migrations are tested in tests/integration/test_migrations.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from reminder.status import Status
from reminder.store import NewMessage, SkipReason, open_store

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)


def message(contact: str = "c001", day: date = date(2027, 2, 1), push: str = "daily") -> NewMessage:
    return NewMessage(
        campaign="spring",
        push=push,
        occurrence=day,
        contact_id=contact,
        recipient="+8613800138000",
        body="【测试】你好",
        segments=1,
        encoding="UCS-2",
        template="daily.j2",
        variables={"contact_name": "张三"},
        case_id="k01",
    )


def test_planning_the_same_occurrence_twice_adds_nothing(database_url: str) -> None:
    store = open_store(database_url)
    try:
        first = store.add_planned([message("c001"), message("c002")], NOW)
        second = store.add_planned([message("c001"), message("c002"), message("c003")], NOW)
        assert len(first) == 2 and len(second) == 1
        assert sorted(m.contact_id for m in store.messages()) == ["c001", "c002", "c003"]
        other_day = store.add_planned([message("c001", day=date(2027, 2, 2))], NOW)
        other_push = store.add_planned([message("c001", push="family")], NOW)
        assert len(other_day) == 1 and len(other_push) == 1
        for message_id in first:
            assert [e.status for e in store.events(message_id)] == ["planned"]
    finally:
        store.close()


def test_status_only_moves_forward_and_events_are_appended(database_url: str) -> None:
    store = open_store(database_url)
    try:
        (message_id,) = store.add_planned([message()], NOW)
        assert store.claim(message_id, "file", NOW) is not None
        assert store.claim(message_id, "file", NOW) is None, "a message is claimed once"
        assert store.transition(message_id, Status.sent, NOW, source="gateway")
        assert store.transition(message_id, Status.delivered, NOW, source="receipt")
        assert not store.transition(message_id, Status.sent, NOW, source="receipt")
        assert not store.transition(message_id, Status.failed, NOW, source="receipt")
        assert store.get(message_id).status == "delivered"
        events = store.events(message_id)
        assert [(e.previous, e.status) for e in events] == [
            (None, "planned"),
            ("planned", "sending"),
            ("sending", "sent"),
            ("sent", "delivered"),
        ]
    finally:
        store.close()


def test_a_skip_carries_its_reason(database_url: str) -> None:
    store = open_store(database_url)
    try:
        first, second = store.add_planned([message("c001"), message("c002")], NOW)
        with pytest.raises(ValueError, match="skip"):
            store.transition(first, Status.skipped, NOW, source="dispatch", detail="no reason")
        assert store.skip(first, SkipReason.per_number_cap, NOW, source="dispatch", detail="cap")
        assert not store.skip(first, SkipReason.suppressed, NOW, source="dispatch", detail="x")
        skipped = store.get(first)
        assert (skipped.status, skipped.skip_reason, skipped.error_text) == (
            "skipped",
            "per_number_cap",
            "cap",
        )
        assert store.get(second).skip_reason is None
        assert store.events(first)[-1].status == "skipped"
    finally:
        store.close()


def test_timestamps_are_kept_in_utc(database_url: str) -> None:
    store = open_store(database_url)
    try:
        shanghai = timezone(timedelta(hours=8))
        (message_id,) = store.add_planned([message()], datetime(2027, 2, 1, 8, 30, tzinfo=shanghai))
        stored = store.get(message_id)
        assert stored.created_at == datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
        assert stored.created_at.tzinfo == UTC
        with pytest.raises(Exception, match="aware"):
            store.add_planned([message("c009")], datetime(2027, 2, 1, 8, 30))
    finally:
        store.close()


def test_status_counts_and_filters(database_url: str) -> None:
    store = open_store(database_url)
    try:
        ids = store.add_planned([message(f"c{i:03d}") for i in range(5)], NOW)
        store.claim(ids[0], "file", NOW)
        store.transition(ids[0], Status.sent, NOW, source="gateway")
        store.skip(ids[1], SkipReason.suppressed, NOW, source="dispatch", detail="opted out")
        counts = store.status_counts("spring", "daily", date(2027, 2, 1))
        assert counts == {"sent": 1, "skipped": 1, "planned": 3}
        assert [m.id for m in store.messages(statuses=[Status.sent])] == [ids[0]]
        assert len(store.messages(limit=2)) == 2
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        store.close()


def test_suppression_and_pause_state(database_url: str) -> None:
    store = open_store(database_url)
    try:
        assert store.suppress("+8613800138000", "STOP", "inbound", NOW)
        assert not store.suppress("+8613800138000", "again", "operator", NOW)
        assert store.suppressed(["+8613800138000", "+8613900139000"]) == {"+8613800138000": "STOP"}
        assert store.unsuppress("+8613800138000") and not store.unsuppress("+8613800138000")
        (message_id,) = store.add_planned([message()], NOW)
        store.set_paused("spring", True, NOW)
        assert store.is_paused("spring")
        from reminder.store import Selection

        assert store.claim_batch(Selection("spring"), "file", "me", NOW, 10) == []
        store.set_paused("spring", False, NOW)
        claimed = store.claim_batch(Selection("spring"), "file", "me", NOW, 10)
        assert [m.id for m in claimed] == [message_id]
        assert store.claim_batch(Selection("spring"), "file", "other", NOW, 10) == []
        assert store.release([message_id], "other", NOW, "not mine") == 0
        assert store.release([message_id], "me", NOW, "stopping") == 1
        assert store.get(message_id).status == "planned"
    finally:
        store.close()


def test_messages_read_back_equal_validated_ones(database_url: str) -> None:
    """Reads skip pydantic's validation (`from_row`); what they build must be the same."""
    from sqlalchemy import select

    from reminder.store import DeliveryEvent, Message, Selection

    store = open_store(database_url)
    try:
        store.add_planned([message("c001"), message("c002")], NOW)
        claimed = store.claim_batch(Selection("spring"), "twilio", "me", NOW, 10)
        store.record_sent([(claimed[0].id, "SM" + "1" * 32, "accepted")], NOW)
        with store.engine.connect() as connection:
            rows = connection.execute(select(Message.__table__).order_by(text("id"))).all()
            event_rows = connection.execute(select(DeliveryEvent.__table__)).all()
        validated = [Message.model_validate(row._mapping) for row in rows]
        read = sorted(store.messages(), key=lambda m: m.id)
        assert [m.model_dump() for m in read] == [m.model_dump() for m in validated]
        assert read == validated
        sent = read[0]
        assert sent.provider_id == "SM" + "1" * 32 and sent.status == "sent"
        assert isinstance(sent.occurrence, date) and sent.occurrence == date(2027, 2, 1)
        assert sent.sent_at == NOW and sent.sent_at.tzinfo == UTC
        assert sent.variables == {"contact_name": "张三"}
        assert [m.id for m in claimed] == [m.id for m in read]
        assert store.events(sent.id) == [
            DeliveryEvent.model_validate(row._mapping)
            for row in event_rows
            if row.message_id == sent.id
        ]
        sent.status = "delivered"  # a read message stays an ordinary model
        assert sent.model_dump()["status"] == "delivered"
    finally:
        store.close()


def _claim_cost(tmp_path, size: int) -> int:
    """SQLite VM steps (in hundreds) to claim the last 10 planned messages of an occurrence of
    `size` messages whose others are all sent already."""
    from sqlalchemy import event

    from reminder.store import Selection

    store = open_store(f"sqlite:///{tmp_path / f'claim{size}.db'}")
    try:
        store.add_planned([message(f"c{i:06d}") for i in range(size)], NOW)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE message SET status = 'sent' WHERE id <= ?", (size - 10,)
            )
        steps = [0]

        def count(dbapi_connection, _record, _proxy) -> None:
            def tick() -> int:
                steps[0] += 1
                return 0

            dbapi_connection.set_progress_handler(tick, 100)

        event.listen(store.engine, "checkout", count)
        claimed = store.claim_batch(
            Selection("spring", "daily", date(2027, 2, 1)), "file", "me", NOW, 10
        )
        assert len(claimed) == 10
        return steps[0]
    finally:
        store.close()


def test_claiming_does_not_walk_the_messages_already_sent(tmp_path) -> None:
    """Claims run thousands of times an occurrence: their cost must not grow with its size
    (quadratic dispatch otherwise; the `ix_message_claim` index)."""
    small, large = _claim_cost(tmp_path, 2_000), _claim_cost(tmp_path, 20_000)
    assert large < 2 * small + 20, (small, large)


def test_settling_an_occurrence_moves_only_what_is_still_planned(database_url: str) -> None:
    from reminder.store import Selection

    store = open_store(database_url)
    try:
        ids = store.add_planned([message(f"c{i:03d}") for i in range(5)], NOW)
        other_day = store.add_planned([message("c000", day=date(2027, 2, 2))], NOW)
        store.claim(ids[0], "file", NOW)
        store.transition(ids[0], Status.sent, NOW, source="gateway")
        moved = store.settle_planned(
            Selection("spring", "daily", date(2027, 2, 1)),
            Status.expired,
            NOW,
            source="scheduler",
            detail="missed by 3h00m",
        )
        assert moved == 4
        statuses = {m.id: (m.status, m.error_text) for m in store.messages()}
        assert statuses[ids[0]] == ("sent", None)
        assert all(statuses[i] == ("expired", "missed by 3h00m") for i in ids[1:])
        assert statuses[other_day[0]] == ("planned", None)
        assert [(e.previous, e.status, e.source) for e in store.events(ids[1])][-1] == (
            "planned",
            "expired",
            "scheduler",
        )
        with pytest.raises(ValueError):
            store.settle_planned(Selection("spring"), Status.planned, NOW, source="x", detail="y")
    finally:
        store.close()
