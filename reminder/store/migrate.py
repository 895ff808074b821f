"""Schema migrations with alembic; the scripts ship inside the package (`store/migrations`).

Several processes may open a new store at once (two `reminder` commands, a daemon and a web
console starting together). Every upgrade and downgrade therefore runs in one transaction that
first takes a lock: the first process migrates, the others wait for it, then find the schema at
head and change nothing.

On a store several `reminder run` nodes share, this lock — not the leader's — makes migrations
run once: it is taken by whichever process opens an out-of-date store first (a new node, or any
command), while the leader lock stays with the running leader, which may be on the previous
release until its turn to be upgraded (README: Deployment).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from reminder.store.engine import write_transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection) -> AlembicConfig:
    """An alembic config that runs on `connection`, with no ini file and no logging set-up."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest), waiting for any other migrator."""
    if revision == "head" and current_revision(engine) == head_revision():
        return  # the usual case: no lock, so opening a store never waits for a long write
    with _locked(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (used by migration tests)."""
    with _locked(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's migration lock until it commits or rolls back.

    SQLite: the transaction begins IMMEDIATE, so it holds the database's write lock, and both
    schema changes and the version row are written in it (SQLite's DDL is transactional).
    PostgreSQL: a transaction-level advisory lock, keyed by the schema the store lives in so
    that stores in other schemas of one database do not wait for each other; it is released
    with the transaction, even when the process dies.
    """
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(str(schema))}
            )
        yield connection


def _lock_key(schema: str) -> int:
    """The advisory lock key of the store in `schema`: fixed, so every process agrees on it."""
    return zlib.crc32(f"reminder migrations {schema}".encode())
