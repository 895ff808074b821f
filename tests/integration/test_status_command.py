"""`reminder status`: the nodes' heartbeats, who leads, throughput, and the occurrences in
flight with the node holding each message being sent, as JSON and as tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from reminder.store import NewMessage, Selection, open_store
from reminder.store.nodes import Beat
from reminder.store.sql.nodes import SqlNodeBoard as NodeBoard

NOW = datetime(2027, 1, 30, 1, 0, tzinfo=UTC)
DAY = date(2027, 1, 30)


def message(contact: str) -> NewMessage:
    return NewMessage(
        "spring-festival", "daily-leading", DAY, contact, f"+861380013{contact[-4:]}",
        "【测试】你好", 1, "UCS-2", "daily.j2", {}, None,
    )  # fmt: skip


def seed(sample: Path) -> None:
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    try:
        board = NodeBoard(store.engine)
        started = NOW - timedelta(seconds=100)
        board.beat(Beat("a:11:7:b", "a", 11, started, NOW - timedelta(seconds=2), 500, True))
        board.beat(Beat("b:12:7:b", "b", 12, started, NOW - timedelta(seconds=1), 300, False))
        board.beat(Beat("c:13:7:b", "c", 13, started, NOW - timedelta(seconds=600), 9, True))
        store.add_planned_batches([[message(f"c{i:04d}") for i in range(5)]], NOW)
        store.claim_batch(Selection("spring-festival"), "file", "b:12:7:b", NOW, limit=2)
    finally:
        store.close()


def test_status_json_names_the_leader_the_nodes_and_what_is_in_flight(
    cli: Any, sample: Path
) -> None:
    seed(sample)
    result = cli.at(NOW)("--config", sample / "config.yaml", "status", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["leader"] == "a:11:7:b", "the node that led and stopped beating does not lead"
    nodes = {n["id"]: n for n in found["nodes"]}
    assert nodes["a:11:7:b"]["running"] and nodes["a:11:7:b"]["per_second"] == 5.1
    assert nodes["c:13:7:b"] == nodes["c:13:7:b"] | {"running": False, "leads": False}
    assert found["in_flight"] == [
        {
            "campaign": "spring-festival",
            "push": "daily-leading",
            "occurrence": "2027-01-30",
            "counts": {"planned": 3, "sending": 2},
            "sending_by_node": {"b:12:7:b": 2},
        }
    ]


def test_status_tables_for_a_person(cli: Any, sample: Path) -> None:
    seed(sample)
    result = cli.at(NOW)("--config", sample / "config.yaml", "status")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 nodes running; leader: a:11:7:b" in out
    assert "1 occurrence in flight" in out and "b:12:7:b (2)" in out
    assert "+86138" not in out
    config = sample / "config.yaml"
    config.write_text("language: zh-CN\n" + config.read_text("utf-8"), "utf-8")
    chinese = cli.at(NOW)("--config", config, "status")
    assert chinese.exit_code == 0 and "leader" not in chinese.stdout
    assert "b:12:7:b (2)" in chinese.stdout


def test_status_of_a_store_no_node_ran_on(cli: Any, sample: Path) -> None:
    result = cli("--config", sample / "config.yaml", "status")
    assert result.exit_code == 0, result.output
    assert "no node has run on this store yet" in result.stdout
    assert "no occurrence in flight" in result.stdout
