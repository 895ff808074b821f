"""Suppression, the per-number cap, and manual control (pause, resume, cancel, retry)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from reminder.store import open_store
from tests.factories import DAYTIME, ProjectFiles, cadre, spouse, twilio_config
from tests.support import stores
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply


def outbox(files: ProjectFiles) -> list[dict[str, Any]]:
    if not files.outbox.exists():
        return []
    return [json.loads(line) for line in files.outbox.read_text().splitlines()]


def send(cli: Any, files: ProjectFiles, *args: str) -> dict[str, Any]:
    result = cli("--config", files.config_path, "send", "test", "--json", "--yes", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_suppressed_numbers_are_skipped_at_planning_with_the_reason(
    cli: Any, files: ProjectFiles
) -> None:
    files.write()
    config = files.config_path
    assert (
        cli(
            "--config", config, "suppress", "add", "139 0013 0001", "--reason", "asked by phone"
        ).exit_code
        == 0
    )
    assert cli("--config", config, "suppress", "add", "13800130002").exit_code == 0
    listed = cli("--config", config, "suppress", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["number"] for r in rows] == ["+86 139****0001", "+86 138****0002"]
    assert rows[0]["reason"] == "asked by phone" and rows[0]["source"] == "operator"

    report = send(cli, files, "--date", "2027-02-01")
    assert (report["sent"], report["skipped"]) == (1, 2)
    store = open_store(f"sqlite:///{files.database}")
    skipped = {m.contact_id: m.error_text for m in store.messages() if m.status == "skipped"}
    store.close()
    assert skipped == {
        "f001": "suppressed: asked by phone",
        "c002": "suppressed: added by an operator",
    }
    assert [r["contact_id"] for r in outbox(files)] == ["c001"]

    removed = cli("--config", config, "suppress", "remove", "13800130002")
    assert "removed" in removed.output
    assert len(json.loads(cli("--config", config, "suppress", "list", "--json").stdout)) == 1


def test_protected_cadres_still_get_official_reminders(cli: Any, files: ProjectFiles) -> None:
    files.write(config={"suppression": {"protect_cadres": True}})
    cli("--config", files.config_path, "suppress", "add", "13800130001")
    cli("--config", files.config_path, "suppress", "add", "13900130001")
    report = send(cli, files, "--date", "2027-02-01")
    assert (report["sent"], report["skipped"]) == (2, 1)
    assert sorted(r["contact_id"] for r in outbox(files)) == ["c001", "c002"]


def test_protected_cadres_suppressed_after_planning_still_get_them(
    cli: Any, files: ProjectFiles
) -> None:
    files.write(config={"suppression": {"protect_cadres": True}})
    config = files.config_path
    cli("--config", config, "pause", "test")
    send(cli, files, "--date", "2027-02-01")
    cli("--config", config, "suppress", "add", "13800130001")  # cadre c001
    cli("--config", config, "suppress", "add", "13900130001")  # c001's spouse
    resumed = cli("--config", config, "resume", "test")
    assert "sent 2, failed 0, skipped 1" in resumed.output
    assert sorted(r["contact_id"] for r in outbox(files)) == ["c001", "c002"]


def test_the_per_number_cap_counts_across_campaigns(cli: Any, files: ProjectFiles) -> None:
    files.write(contacts=[cadre(1)], config={"per_number_cap": 2})
    for day in ("2027-02-01", "2027-02-02", "2027-02-03"):
        send(cli, files, "--date", day)  # all sent within minutes of each other
    store = open_store(f"sqlite:///{files.database}")
    statuses = [
        (m.occurrence.isoformat(), m.status, m.error_text)
        for m in sorted(store.messages(), key=lambda m: m.id)
    ]
    store.close()
    assert statuses[:2] == [("2027-02-01", "sent", None), ("2027-02-02", "sent", None)]
    assert statuses[2][1] == "skipped"
    assert statuses[2][2] == "per-number cap: 2 messages to this number in 24 h"


def test_pause_resume_sends_exactly_what_is_left(cli: Any, files: ProjectFiles) -> None:
    people = [cadre(i) for i in range(1, 11)]
    files.write(contacts=people, groups={"everyone": {"rank": ">= clerk"}})
    config = files.config_path
    assert "paused" in cli("--config", config, "pause", "test").output
    paused = send(cli, files, "--date", "2027-02-01")
    assert (paused["planned"], paused["sent"]) == (10, 0), "a paused campaign is planned only"
    # Half of it goes out (as if the pause had come mid-dispatch): mark five sent by hand.
    store = open_store(f"sqlite:///{files.database}")
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE message SET status='sent' WHERE id <= 5"))
    store.close()
    resumed = cli("--config", config, "resume", "test")
    assert resumed.exit_code == 0, resumed.output
    assert "sent 5, failed 0" in resumed.output
    assert sorted(r["message_id"] for r in outbox(files)) == [6, 7, 8, 9, 10]


def test_cancel_an_occurrence(cli: Any, files: ProjectFiles) -> None:
    files.write()
    config = files.config_path
    cli("--config", config, "pause", "test")
    send(cli, files, "--date", "2027-02-01")
    result = cli("--config", config, "cancel", "test", "--date", "2027-02-01")
    assert "3 messages of test on 2027-02-01 canceled" in result.output
    cli("--config", config, "resume", "test")
    assert outbox(files) == []
    rows = json.loads(cli("--config", config, "log", "--json").stdout)
    assert {r["status"] for r in rows} == {"canceled"}


def test_retry_failed_messages(
    cli: Any, files: ProjectFiles, twilio_like: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    files.write(
        contacts=[cadre(1), cadre(2)],
        groups={"everyone": {"rank": ">= clerk"}},
        config=twilio_config(
            twilio_like.url, account_sid=ACCOUNT_SID, delivery={"max_attempts": 1, "concurrency": 1}
        ),
    )
    twilio_like.script.append(Reply(503, 20503, "Service unavailable"))
    first = send(cli.at(DAYTIME), files, "--date", "2027-02-01")
    assert (first["sent"], first["failed"]) == (1, 1)
    assert cli("--config", files.config_path, "retry").exit_code == 2
    again = cli("--config", files.config_path, "retry", "--failed")
    assert again.exit_code == 0, again.output
    assert "1 message put back in the queue" in again.output and "sent 1" in again.output
    assert len(twilio_like.recorded.accepted) == 2
    rows = json.loads(cli("--config", files.config_path, "log", "--json").stdout)
    assert {r["status"] for r in rows} == {"sent"}


def test_unknown_messages_wait_for_an_operator_when_the_gateway_cannot_be_asked(
    cli: Any, files: ProjectFiles, tmp_path: Path
) -> None:
    files.write(
        contacts=[cadre(1)],
        groups={"everyone": {"rank": ">= clerk"}},
        config={"gateway": "console"},
    )
    cli("--config", files.config_path, "pause", "test")
    send(cli, files, "--date", "2027-02-01")
    store = open_store(f"sqlite:///{files.database}")
    with store.engine.begin() as connection:  # as if a dead process had left it mid-send
        connection.execute(text("UPDATE message SET status='sending', claimed_by='gone:1:x'"))
    store.close()
    cli("--config", files.config_path, "resume", "test")
    rows = json.loads(cli("--config", files.config_path, "log", "--json").stdout)
    assert [r["status"] for r in rows] == ["sending"], "another host's claim waits for its lease"
    store = open_store(f"sqlite:///{files.database}")
    with store.engine.begin() as connection:  # a process of this host that is gone
        connection.execute(
            text(f"UPDATE message SET claimed_by='{__import__('socket').gethostname()}:999999:x'")
        )
    store.close()
    cli("--config", files.config_path, "resume", "test")
    rows = json.loads(cli("--config", files.config_path, "log", "--json").stdout)
    assert [r["status"] for r in rows] == ["unknown"]
    result = cli("--config", files.config_path, "retry", "--unknown")
    assert "1 message put back in the queue" in result.output and "sent 1" in result.output


def test_spouses_suppressed_by_reply_are_skipped(cli: Any, files: ProjectFiles) -> None:
    files.write(contacts=[cadre(1), spouse(1, of=1)])
    cli("--config", files.config_path, "suppress", "add", "13900130001", "--reason", "STOP")
    report = send(cli, files, "--date", "2027-02-01")
    assert (report["sent"], report["skipped"]) == (1, 1)


def test_a_number_suppressed_after_planning_is_skipped_at_dispatch(
    cli: Any, files: ProjectFiles
) -> None:
    files.write(contacts=[cadre(1), spouse(1, of=1)])
    config = files.config_path
    cli("--config", config, "pause", "test")
    planned = send(cli, files, "--date", "2027-02-01")
    assert (planned["planned"], planned["sent"]) == (2, 0)
    cli("--config", config, "suppress", "add", "13900130001", "--reason", "退订")
    resumed = cli("--config", config, "resume", "test")
    assert "sent 1, failed 0, skipped 1" in resumed.output
    assert [r["to"] for r in outbox(files)] == ["+8613800130001"]
    store = open_store(f"sqlite:///{files.database}")
    skipped = {m.contact_id: m.error_text for m in store.messages() if m.status == "skipped"}
    events = [(e.previous, e.status, e.source) for e in stores.events(store, 2)]
    store.close()
    assert skipped == {"f001": "suppressed: 退订"}
    assert events[-1] == ("sending", "skipped", "dispatch")


def test_an_unsubscribed_number_is_suppressed_and_sync_polls_statuses(
    cli: Any, files: ProjectFiles, twilio_like: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    files.write(
        contacts=[cadre(1), cadre(2)],
        groups={"everyone": {"rank": ">= clerk"}},
        config=twilio_config(twilio_like.url, account_sid=ACCOUNT_SID, delivery={"concurrency": 1}),
    )
    twilio_like.script.append(Reply(400, 21610, "Attempt to send to unsubscribed recipient"))
    first = send(cli.at(DAYTIME), files, "--date", "2027-02-01")
    assert (first["sent"], first["failed"]) == (1, 1)
    listed = json.loads(
        cli("--config", files.config_path, "suppress", "list", "--json", "--show-numbers").stdout
    )
    assert [(r["number"], r["source"]) for r in listed] == [("+8613800130001", "gateway")]
    assert "21610" in listed[0]["reason"]
    # The next day the suppressed number is skipped at planning, with the reason.
    second = send(cli, files, "--date", "2027-02-02")
    assert (second["sent"], second["skipped"]) == (1, 1)

    synced = cli("--config", files.config_path, "sync", "--older-than", "0")
    assert synced.exit_code == 0, synced.output
    assert "checked 2, updated 2" in synced.output
    rows = json.loads(cli("--config", files.config_path, "log", "--json").stdout)
    assert sorted(r["status"] for r in rows) == ["delivered", "delivered", "failed", "skipped"]
