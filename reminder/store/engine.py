"""Engines for the store, and the one way a transaction that writes begins.

SQLite's driver opens a transaction only at the first INSERT, UPDATE or DELETE: whatever a write
transaction read before that ran outside it, and another process could commit in between
(issue 11: concurrent planners read the same `max(id)` and wrote each other's audit events).
`write_transaction` therefore begins `IMMEDIATE`: it holds the write lock from its first
statement, and concurrent writers queue on the busy timeout instead of one of them failing to
upgrade a read snapshot. Reads are left to the driver: each runs on its own, and never blocks a
writer. (SQLAlchemy's documented recipe, a `begin` event emitting every BEGIN, would do the same
but costs every read about 40 µs: engine events on every statement, a BEGIN and a ROLLBACK.)
On PostgreSQL nothing changes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from reminder.errors import OperationalError
from reminder.i18n import _

#: How long a connection waits for another's write lock.
BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files run in WAL mode with foreign keys on."""
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise OperationalError(
            _("cannot use database_url: {url}: {exc}").format(url=without_password(url), exc=exc)
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes, committed when the block ends; on SQLite it holds the write
    lock from the start, so what it reads first is still true when it writes."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # The driver has not begun one yet (it waits for the first write); once this has,
            # it leaves it alone, and its commit and rollback end it.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection


def without_password(url: str) -> str:
    """`url` fit to print: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL` (it stays set in the file). While another connection writes a
    new file's first transaction the file is not in WAL mode yet, and SQLite refuses the switch
    at once ("database is locked") instead of waiting on the busy timeout: it is asked again
    until the timeout, by when the other has committed and the file is in WAL mode."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching a new file to WAL needs the database to itself, and
    # another process may be opening the same new store.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
