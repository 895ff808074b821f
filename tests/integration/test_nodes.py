"""Heartbeats and the shared rate on a real store: rows written and read back on SQLite and
PostgreSQL; spans of a gateway's timeline reserved by racing threads on PostgreSQL never
overlap, and follow each other without gaps while the timeline is busy."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from reminder.store import open_store
from reminder.store.nodes import Beat
from reminder.store.sql.nodes import SqlNodeBoard as NodeBoard

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
