"""Ten processes opening one new store at the same moment, on SQLite and on PostgreSQL.

Each process is spawned (a fresh interpreter, as a second `reminder` command would be), waits at
a barrier until all ten are ready, then opens the store. One of them must migrate; the others
must wait for it, find the schema at head and go on.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from reminder.store import open_store
from reminder.store.engine import write_transaction
from reminder.store.migrate import MIGRATIONS, head_revision

pytestmark = pytest.mark.postgres

PROCESSES = 10


class _Steps(logging.Handler):
    """Collects alembic's "Running upgrade" lines: the migration steps this process ran."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.steps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Running upgrade"):
            self.steps.append(message)


def _open_at_the_barrier(url: str, barrier: Any, results: Any) -> None:
    """In a child process: wait for the others, open the store, report the steps it ran."""
    steps = _Steps()
    migration_log = logging.getLogger("alembic.runtime.migration")
    migration_log.setLevel(logging.INFO)
    migration_log.addHandler(steps)
    head_revision()  # the migration scripts parsed once before the start, as in a warm process
    try:
        barrier.wait(timeout=120)
        open_store(url).close()
    except Exception as exc:
        results.put(("failed", f"{exc.__class__.__name__}: {exc}"))
    else:
        results.put(("ok", steps.steps))


def test_processes_opening_a_new_store_at_once_all_succeed_and_one_migrates(
    database_url: str,
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    children = [
        context.Process(target=_open_at_the_barrier, args=(database_url, barrier, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    outcomes = []
    try:
        for _ in children:
            outcomes.append(results.get(timeout=240))
    except queue.Empty:
        pytest.fail(f"only {len(outcomes)} of {PROCESSES} processes answered: {outcomes}")
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()

    failures = [detail for outcome, detail in outcomes if outcome != "ok"]
    assert failures == []
    ran = [steps for _, steps in outcomes if steps]
    assert len(ran) == 1, f"more than one process migrated: {ran}"
    assert len(ran[0]) == len(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))  # once
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [v for (v,) in versions] == [head_revision()]


def test_opening_a_store_at_head_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    """Only a store that needs migrating takes the migration lock: a command opening the store
    while another process plans a large occurrence (holding SQLite's write lock) goes on."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    planner = open_store(url)
    try:
        with write_transaction(planner.engine):  # BEGIN IMMEDIATE: the write lock is held
            open_store(url).close()
    finally:
        planner.close()


def test_threads_opening_new_sqlite_stores_at_once_all_open(tmp_path: Path) -> None:
    """While one connection writes a new file's first transaction the file is not in WAL mode
    yet, and SQLite refused another's switch to it at once ("database is locked"): a thread
    failed to open the store about once in twenty new files. Forty new files, three threads
    each."""
    failures: list[BaseException] = []

    def open_and_close(url: str, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            open_store(url).close()
        except BaseException as exc:  # every failure is the finding
            failures.append(exc)

    for n in range(40):
        url = f"sqlite:///{tmp_path / f'new{n}.db'}"
        barrier = threading.Barrier(3)
        threads = [threading.Thread(target=open_and_close, args=(url, barrier)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
