"""What only the SQL store has to get right: SQLite's journal, reads that skip validation, and
claims whose cost does not grow with the occurrence. The contract both stores keep is tested in
tests/contract/test_store.py; migrations in tests/integration/test_migrations.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from reminder.store import NewMessage, open_store
from tests.support.stores import events

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


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        store.close()


def test_messages_read_back_equal_validated_ones(database_url: str) -> None:
    """Reads skip pydantic's validation (`from_row`); what they build must be the same."""
    from sqlalchemy import select

    from reminder.store import DeliveryEvent, Message, Selection

    store = open_store(database_url)
    try:
        store.add_planned_batches([[message("c001"), message("c002")]], NOW)
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
        assert events(store, sent.id) == [
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
        store.add_planned_batches([[message(f"c{i:06d}") for i in range(size)]], NOW)
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
