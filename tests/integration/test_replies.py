"""`reminder replies` over a project's store: replies recorded as the receipt server records
them, listed with numbers and texts masked unless asked for, in English and Chinese. End to end
through Twilio's mock: a push asks, scripted phones answer through signed inbound callbacks, and
the next day's follow-up goes to exactly the silent ones."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

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
    both = cli("--config", files.config_path, "replies", "--unmatched", "--campaign", "test")
    assert both.exit_code == 2 and "belong to no campaign" in both.output
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


# --- end to end: Twilio's mock sends, signed inbound callbacks answer ------------------------


def served(store: Any, clock: Any, gateway: Any) -> tuple[Any, str]:
    """The receipt server on 127.0.0.1 for `gateway`; (the uvicorn server, its base URL)."""
    import threading
    import time

    import uvicorn

    from reminder.delivery.receipt_server import ReceiptServer
    from tests.integration.test_receipts import PUBLIC
    from tests.support.servers import free_port

    app = ReceiptServer(store, clock, {"twilio": gateway}, PUBLIC).app
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


@pytest.mark.twilio_mock
def test_scripted_phones_answer_and_the_follow_up_goes_to_the_silent_ones(
    cli: Any, files: ProjectFiles, twilio_mock_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from reminder.clock import FixedClock
    from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
    from tests.factories import cadre, twilio_config
    from tests.integration.test_receipts import post, signed
    from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    again = push("again", audience={"not_acknowledged": "daily", "after": "24h"})
    files.write(
        contacts=[cadre(i) for i in range(1, 7)],
        campaign={**campaign(), "pushes": [push(ack=ACK), again]},
        templates={"daily.j2": "{{ contact.name }}：节日廉洁提醒。{{ ack | default('') }}"},
        config=twilio_config(twilio_mock_url),
    )
    config = files.config_path
    sent = cli.at(DAYTIME)("--config", config, "send", "test", "--push", "daily", "--yes")
    assert sent.exit_code == 0, sent.output
    answers = {1: "收到", 2: "１", 3: " 1 。", 4: "退订", 5: "hello"}  # 6 stays silent
    store = open_store(f"sqlite:///{files.database}")
    twilio = TwilioGateway(
        TwilioSettings.model_validate(
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": "+15005550006"}
        )
    )
    server, base = served(store, FixedClock(DAYTIME + timedelta(hours=1)), twilio)
    try:
        with httpx.Client(timeout=10) as client:
            for i, body in answers.items():
                params = {"From": f"+86138001300{i:02d}", "Body": body, "MessageSid": f"SMr{i}"}
                response = post(
                    client, base, "/twilio/inbound", params, signed("/twilio/inbound", params)
                )
                assert response.status_code == 200
    finally:
        server.should_exit = True
    found = {r.sender[-1]: (r.outcome, r.contact_id) for r in store.replies()}
    assert found == {
        "1": ("acknowledged", "c001"),
        "2": ("acknowledged", "c002"),
        "3": ("acknowledged", "c003"),
        "4": ("opted_out", None),
        "5": ("unmatched", None),
    }
    assert [s.number for s in store.suppressions()] == ["+8613800130004"]
    assert {m.status for m in store.messages()} == {"sent"}, "no status moved back"
    store.close()

    next_day = cli.at(DAYTIME + timedelta(days=1))
    followed = next_day("--config", config, "send", "test", "--push", "again", "--yes")
    assert followed.exit_code == 0, followed.output
    store = open_store(f"sqlite:///{files.database}")
    try:
        again_rows = {m.contact_id: m.status for m in store.messages() if m.push == "again"}
    finally:
        store.close()
    assert again_rows == {"c004": "skipped", "c005": "sent", "c006": "sent"}
