"""Heartbeats and the shared rate on a real store: rows written and read back on SQLite and
PostgreSQL; spans of a gateway's timeline reserved by racing threads on PostgreSQL never
overlap, and follow each other without gaps while the timeline is busy; the leader forgets
nodes silent for a day; a notification wakes the listeners of its store (PostgreSQL), and a
listener cut off comes back."""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.core.nodes import FORGET_AFTER
from reminder.daemon.scheduler import Daemon
from reminder.delivery.outcomes import DispatchResult
from reminder.inputs.config import load_config
from reminder.store import open_store
from reminder.store.nodes import Beat
from reminder.store.sql.nodes import SqlNodeBoard as NodeBoard
from reminder.store.wakeup import APPLICATION_NAME, Listener
from tests.support.databases import fresh_database

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 1, 30, 2, 0, tzinfo=UTC)


def test_heartbeats_are_written_and_read_back(database_url: str) -> None:
    store = open_store(database_url)
    try:
        board = NodeBoard(store.engine)
        board.beat(Beat("h:1:9:b", "h", 1, NOW, NOW, 0, True))
        board.beat(Beat("h:2:9:b", "h", 2, NOW, NOW + timedelta(seconds=1), 0, False))
        board.beat(Beat("h:1:9:b", "h", 1, NOW, NOW + timedelta(seconds=3), 40, True))
        rows = board.nodes()
        assert [(r.pid, r.sent, r.leading) for r in rows] == [(1, 40, True), (2, 0, False)]
        assert rows[0].at == NOW + timedelta(seconds=3) and rows[0].started_at == NOW
        lease = timedelta(seconds=60)
        assert board.beating("h:1:9:b", NOW + timedelta(seconds=30), lease) is True
        assert board.beating("h:1:9:b", NOW + timedelta(seconds=90), lease) is False
        assert board.beating("other", NOW, lease) is None
        board.beat(Beat("h:2:9:b", "h", 2, NOW, NOW + timedelta(seconds=4), 0, False, False))
        assert board.beating("h:2:9:b", NOW + timedelta(seconds=5), lease) is False, "stopped"
        assert board.forget_stale(NOW + timedelta(seconds=4)) == 1
        assert [r.pid for r in board.nodes()] == [2]
    finally:
        store.close()


def test_racing_reservations_never_overlap(database_url: str) -> None:
    store = open_store(database_url)
    try:
        board = NodeBoard(store.engine)
        if not board.shared:
            pytest.skip("the shared rate is PostgreSQL's")
        spans: list[datetime] = []

        def reserve() -> None:
            for _ in range(25):
                spans.append(board.reserve("twilio", NOW, 0.1, 0.05))

        threads = [threading.Thread(target=reserve) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spans.sort()
        assert spans[0] == NOW
        assert spans == [NOW + timedelta(seconds=0.1 * i) for i in range(100)]
        # Idle for longer than the catch-up: the next span starts now, not where it stopped.
        later = NOW + timedelta(minutes=5)
        assert board.reserve("twilio", later, 0.1, 0.05) == later
        assert board.reserve("aliyun", later, 0.5, 0.05) == later, "one timeline per gateway"
    finally:
        store.close()


def test_the_leader_forgets_nodes_silent_for_a_day_at_its_heartbeat(sample: Path) -> None:
    clock = FixedClock(NOW)
    app = App(load_config(sample / "config.yaml"), clock)
    try:
        board = app.nodes
        assert board is not None
        old = NOW - FORGET_AFTER - timedelta(seconds=1)
        board.beat(Beat("gone:1:9:b", "gone", 1, old, old, 7, True))
        recent = NOW - FORGET_AFTER + timedelta(minutes=1)
        board.beat(Beat("quiet:2:9:b", "quiet", 2, recent, recent, 3, False))
        daemon = Daemon(app)
        daemon.beat()  # not leading yet: a standby forgets nothing
        assert {b.host for b in board.nodes()} >= {"gone", "quiet"}
        daemon.leading = True
        daemon.beat()
        hosts = {b.host for b in board.nodes()}
        assert "gone" not in hosts, "silent for longer than a day: forgotten"
        assert "quiet" in hosts, "silent for less than a day: still shown"
        assert len(hosts) == 2, "and this node itself"
    finally:
        app.close()


def test_a_notification_wakes_a_listener_of_the_same_store_only(
    database_url: str, tmp_path: Path
) -> None:
    store = open_store(database_url)
    try:
        board = NodeBoard(store.engine)
        if not board.shared:
            board.wake("nothing to wake on SQLite")
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
        heard: queue.Queue[str] = queue.Queue()
        listener = Listener(database_url, heard.put).start()
        with fresh_database("postgresql", tmp_path) as other_url:
            other = open_store(other_url)
            try:
                assert listener.listening.wait(10)
                NodeBoard(other.engine).wake("another schema")
                board.wake("2027-01-30T02:00:00+00:00")
                board.wake()
                assert heard.get(timeout=10) == "2027-01-30T02:00:00+00:00"
                assert heard.get(timeout=10) == ""
                assert heard.empty(), "a store in another schema does not wake this one"
            finally:
                other.close()
                listener.close()
    finally:
        store.close()


def test_a_listener_cut_off_reconnects_and_wakes_once(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    store = open_store(database_url)
    heard: queue.Queue[str] = queue.Queue()
    listener = Listener(database_url, heard.put, retry_seconds=0.1).start()
    try:
        assert listener.listening.wait(10)
        with store.engine.begin() as connection:
            cut = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database() "
                    "AND query LIKE 'LISTEN %'"
                ),
                {"name": APPLICATION_NAME},
            ).all()
        assert cut, "the listening connection was found"
        assert heard.get(timeout=10) == "", "back: woken once, for what it may have missed"
        NodeBoard(store.engine).wake("after")
        assert heard.get(timeout=10) == "after"
    finally:
        listener.close()
        store.close()


def test_a_wake_sends_now_or_when_deferred_messages_fall_due(sample: Path) -> None:
    clock = FixedClock(NOW)
    app = App(load_config(sample / "config.yaml"), clock)
    daemon = Daemon(app)
    daemon.scheduler.start(paused=True)  # jobs are added, none runs
    try:
        due = NOW + timedelta(hours=2)
        daemon.wake(due.isoformat())
        daemon.wake("")
        daemon.wake((NOW - timedelta(minutes=1)).isoformat())  # due already: now
        daemon.wake("not a time")
        jobs = {job.id: job.next_run_time for job in daemon.scheduler.get_jobs()}
        assert set(jobs) == {"wake", f"wake-at-{due.isoformat()}"}, "one wake now, one later"
        assert jobs[f"wake-at-{due.isoformat()}"] == clock.to_real(due)
    finally:
        daemon.scheduler.shutdown(wait=False)
        app.close()


def test_a_dispatch_result_keeps_the_earliest_deferral() -> None:
    first, second = DispatchResult(), DispatchResult()
    first.defer_until(NOW + timedelta(hours=3))
    first.defer_until(NOW + timedelta(hours=1))
    second.defer_until(NOW + timedelta(minutes=30))
    first.add(second)
    first.add(DispatchResult())
    assert first.deferred_until == NOW + timedelta(minutes=30)
