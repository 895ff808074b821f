"""Migrations on a real SQLite file, and on PostgreSQL when REMINDER_TEST_DATABASE_URL is set:
the schema they build, the data they carry over, and the way back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, bindparam, inspect, text

from reminder.store import NewMessage, open_store
from reminder.store.engine import make_engine
from reminder.store.migrate import current_revision, downgrade, head_revision, upgrade
from reminder.store.models import UTCDateTime

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)


def message(contact: str = "c001") -> NewMessage:
    return NewMessage(
        "spring", "daily", date(2027, 2, 1), contact, "+8613800138000", "【测试】你好", 1,
        "UCS-2", "daily.j2", {}, None,
    )  # fmt: skip


def test_migrations_create_the_schema(database_url: str) -> None:
    store = open_store(database_url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"message", "delivery_event", "alembic_version"} <= tables
        assert current_revision(store.engine) == head_revision()
        uniques = inspect(store.engine).get_unique_constraints("message")
        assert any(
            set(u["column_names"]) == {"campaign", "push", "occurrence", "contact_id"}
            for u in uniques
        )
    finally:
        store.close()


def test_opening_twice_migrates_once_and_keeps_data(database_url: str) -> None:
    store = open_store(database_url)
    store.add_planned_batches([[message()]], NOW)
    store.close()
    again = open_store(database_url)
    try:
        assert len(again.messages()) == 1
    finally:
        again.close()


def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    store = open_store(database_url)
    try:
        downgrade(store.engine, "base")
        assert "message" not in inspect(store.engine).get_table_names()
        upgrade(store.engine)
        assert "message" in inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_migrations_match_the_models(database_url: str) -> None:
    """Every table, column and index of the models comes from a migration (no create_all)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from reminder.store.models import SQLModel

    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        store.close()
    assert differences == []


def _insert_at_0004(engine: Engine, rows: list[tuple[str, str, str | None]]) -> None:
    """Messages (contact id, status, error text) as the code of revision 0004 wrote them,
    with a plan event each."""
    with engine.begin() as connection:
        for contact, status, error_text in rows:
            connection.execute(
                text(
                    "INSERT INTO message (campaign, push, occurrence, contact_id, recipient, body, "
                    "segments, encoding, template, variables, status, attempts, error_text, "
                    "created_at, updated_at) VALUES ('spring', 'daily', '2027-02-01', :c, "
                    "'+8613800138000', 'x', 1, 'UCS-2', 't', '{}', :s, 0, :e, :t, :t)"
                ).bindparams(bindparam("t", type_=UTCDateTime())),
                {"c": contact, "s": status, "e": error_text, "t": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO delivery_event (message_id, at, status, source) "
                "SELECT id, :t, status, 'plan' FROM message"
            ).bindparams(bindparam("t", type_=UTCDateTime())),
            {"t": NOW},
        )


def test_upgrading_fills_skip_reasons_from_the_words_skips_were_written_with(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        _insert_at_0004(
            engine,
            [
                ("c001", "skipped", "suppressed: opted out by reply 'STOP'"),
                ("c002", "skipped", "per-number cap: 3 messages to this number in 24 h"),
                ("c003", "skipped", "opted out"),  # words no code writes: no reason guessed
                ("c004", "failed", "suppressed: a failure's own words"),
                ("c005", "expired", "missed by 3h00m (grace 120 min)"),
                ("c006", "delivered", None),
            ],
        )
        upgrade(engine)
        with engine.connect() as connection:
            reasons = dict(
                connection.execute(text("SELECT contact_id, skip_reason FROM message")).all()
            )
            kept = connection.execute(text("SELECT count(*) FROM delivery_event")).scalar()
        assert reasons == {
            "c001": "suppressed",
            "c002": "per_number_cap",
            "c003": None,
            "c004": None,
            "c005": None,
            "c006": None,
        }
        assert kept == 6
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["0004", "0003"])
def test_downgrading_keeps_every_delivery_event(database_url: str, revision: str) -> None:
    """Dropping a column must not copy the message table on SQLite: dropping the old copy
    would delete every event through the foreign key's ON DELETE CASCADE."""
    store = open_store(database_url)
    try:
        store.add_planned_batches([[message("c001"), message("c002")]], NOW)
        downgrade(store.engine, revision)
        with store.engine.connect() as connection:
            kept = connection.execute(text("SELECT count(*) FROM delivery_event")).scalar()
        assert kept == 2
        upgrade(store.engine)
        assert len(store.messages()) == 2
    finally:
        store.close()
