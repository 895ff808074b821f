"""`reminder replies` over a project's store: a push that asks, replies recorded as the receipt
server records them, listed with numbers and texts masked unless asked for, in English and
Chinese."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from reminder.delivery.gateways.base import Inbound
from reminder.delivery.inbound import take_inbound
from reminder.store import open_store
from tests.factories import DAYTIME, ProjectFiles, push

ACK = {"keywords": ["收到", "1"], "within": "24h"}


def campaign(**fields: Any) -> dict[str, Any]:
    return {
        "id": "test",
        "name": "测试活动",
        "festival": "spring_festival",
        "window": {"start": "2027-01-30", "end": "2027-02-20"},
        "pushes": [push(ack=ACK, **fields)],
    }


def asked_and_answered(cli: Any, files: ProjectFiles) -> None:
    files.write(
        campaign=campaign(), templates={"daily.j2": "{{ contact.name }}：节日廉洁提醒。{{ ack }}"}
    )
    sent = cli.at(DAYTIME)("--config", files.config_path, "send", "test", "--yes", "--json")
    assert sent.exit_code == 0, sent.output
    outbox = [json.loads(line) for line in files.outbox.read_text("utf-8").splitlines()]
    assert all(m["body"].endswith("回复收到确认") for m in outbox)
    store = open_store(f"sqlite:///{files.database}")
    later = DAYTIME + timedelta(minutes=5)
    try:
        take_inbound(
            store,
            [
                Inbound("13900130001", " 1 。", "r1"),
                Inbound("+8613900130002", "hello there", "r2"),
                Inbound("+8613900130002", "hello there", "r2"),
            ],
            "CN",
            later,
            "file",
        )
    finally:
        store.close()


def test_replies_are_listed_masked(cli: Any, files: ProjectFiles) -> None:
    asked_and_answered(cli, files)
    listed = cli("--config", files.config_path, "replies", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["from"], r["text"], r["outcome"], r["contact_id"]) for r in rows] == [
        ("+86 139****0002", "h********", "unmatched", None),
        ("+86 139****0001", "1**", "acknowledged", "f001"),
    ]
    full = json.loads(
        cli("--config", files.config_path, "replies", "--json", "--show-numbers").stdout
    )
    assert {r["text"] for r in full} == {"hello there", " 1 。"}
    assert {r["from"] for r in full} == {"+8613900130001", "+8613900130002"}
    unmatched = json.loads(
        cli("--config", files.config_path, "replies", "--unmatched", "--json").stdout
    )
    assert [r["outcome"] for r in unmatched] == ["unmatched"]
    assert (
        cli("--config", files.config_path, "replies", "--campaign", "nope", "--json").stdout
        == "[]\n"
    )
    table = cli("--config", files.config_path, "replies")
    assert "2 replies (newest first)" in table.output
    assert "acknowledged" in table.output and "test/daily" in table.output
    assert "hello" not in table.output and "13900130002" not in table.output


def test_replies_in_chinese(cli: Any, files: ProjectFiles) -> None:
    asked_and_answered(cli, files)
    config = files.config_path
    config.write_text("language: zh-CN\n" + config.read_text("utf-8"), "utf-8")
    table = cli("--config", config, "replies")
    assert table.exit_code == 0, table.output
    assert "已确认" in table.output and "未匹配" in table.output
