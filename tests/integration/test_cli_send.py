"""`reminder send`, `preview` and `log` on a real SQLite file with the file gateway."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from reminder.store import open_store
from tests.factories import DAYTIME, ProjectFiles, cadre, twilio_config
from tests.factories import push as push_entry
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply
from tests.support.stores import events

FULL_NUMBER = re.compile(r"\+?86\s?1\d{10}|\b1[3-9]\d{9}\b")


def outbox(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def send_json(cli: Any, config: Path, *args: str) -> dict[str, Any]:
    result = cli("--config", config, "send", "spring-festival", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_send_one_day_of_the_sample_campaign(cli: Any, sample: Path) -> None:
    report = send_json(cli, sample / "config.yaml", "--date", "2027-01-30")
    assert report["planned"] == 36 + 29
    assert report["sent"] == 65
    assert (report["already_planned"], report["failed"], report["skipped"]) == (0, 0, 0)
    lines = outbox(sample / "outbox.jsonl")
    assert len(lines) == 65
    required = {
        "message_id",
        "campaign",
        "push",
        "occurrence",
        "contact_id",
        "to",
        "body",
        "segments",
    }
    assert all(required <= set(line) for line in lines)
    assert all(line["body"].startswith("【某某市纪委监委】") for line in lines)
    assert {line["occurrence"] for line in lines} == {"2027-01-30"}
    assert len({line["to"] for line in lines}) == 65
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    try:
        messages = store.messages()
        assert len(messages) == 65
        assert {m.status for m in messages} == {"sent"}
        assert all(m.provider_id and m.attempts == 1 and m.gateway == "file" for m in messages)
        assert all(
            [e.status for e in events(store, m.id)] == ["planned", "sending", "sent"]
            for m in messages
        )
    finally:
        store.close()


def test_template_variables_travel_only_to_gateways_that_use_them(cli: Any, sample: Path) -> None:
    """The file gateway (like Aliyun or Tencent Cloud later) receives the flat variables next to
    the text; with the console gateway the store keeps no variables nobody reads."""
    send_json(cli, sample / "config.yaml", "--date", "2027-01-30")
    line = next(x for x in outbox(sample / "outbox.jsonl") if x["push"] == "daily-leading")
    variables = line["variables"]
    assert variables["contact_id"] == line["contact_id"]
    assert variables["campaign_id"] == "spring-festival"
    assert variables["day"] == "1"
    assert variables["case_title"] and variables["case_title"] in line["body"]
    with open_store(f"sqlite:///{sample / 'reminder.db'}") as store:
        assert all(m.variables.get("contact_id") == m.contact_id for m in store.messages())

    (sample / "config.yaml").write_text(
        "database_url: sqlite:///console.db\ngateway: console\n", encoding="utf-8"
    )
    send_json(cli, sample / "config.yaml", "--date", "2027-01-30")
    with open_store(f"sqlite:///{sample / 'console.db'}") as store:
        messages = store.messages()
        assert len(messages) == 65 and all(m.variables == {} for m in messages)
        assert all(m.template for m in messages)


def test_running_send_again_sends_nothing_twice(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    send_json(cli, config, "--date", "2027-01-30")
    again = send_json(cli, config, "--date", "2027-01-30")
    assert (again["planned"], again["already_planned"], again["sent"]) == (0, 65, 0)
    result = cli("--config", config, "send", "spring-festival", "--date", "2027-01-30")
    assert result.exit_code == 0
    assert "nothing new to send" in result.output
    assert len(outbox(sample / "outbox.jsonl")) == 65


def test_send_one_push_then_the_rest(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    first = send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    assert (first["planned"], first["sent"]) == (29, 29)
    rest = send_json(cli, config, "--date", "2027-01-30")
    assert (rest["planned"], rest["already_planned"], rest["sent"]) == (36, 29, 36)


def test_planned_but_unsent_messages_are_sent_by_the_next_run(cli: Any, sample: Path) -> None:
    """A run that stopped after planning leaves `planned` rows; the next run sends exactly those."""
    config = sample / "config.yaml"
    send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    with store.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("UPDATE message SET status='planned' WHERE id > 20"))
    store.close()
    (sample / "outbox.jsonl").unlink()
    resumed = send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    assert (resumed["planned"], resumed["already_planned"], resumed["sent"]) == (0, 29, 9)
    assert sorted(line["message_id"] for line in outbox(sample / "outbox.jsonl")) == list(
        range(21, 30)
    )


def test_dates_outside_the_window_are_refused(cli: Any, sample: Path) -> None:
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--date",
        "2027-03-01",
        "--yes",
    )
    assert result.exit_code == 2
    assert "2027-03-01 is outside the window of campaign 'spring-festival'" in result.output
    assert "2027-01-30 to 2027-02-20" in result.output
    assert not (sample / "reminder.db").exists()


@freeze_time("2027-02-02 17:00:00")  # 01:00 on 3 February in Shanghai
def test_default_date_is_today_in_the_campaign_zone(cli: Any, sample: Path) -> None:
    report = send_json(cli, sample / "config.yaml", "--push", "daily-leading")
    assert report["date"] == "2027-02-03"


@freeze_time("2026-11-22 02:00:00")
def test_default_date_outside_the_window_is_refused(cli: Any, sample: Path) -> None:
    result = cli("--config", sample / "config.yaml", "send", "spring-festival")
    assert result.exit_code == 2
    assert "today (2026-11-22) is outside the window" in result.output
    flat = " ".join(result.output.split())
    # The next window (Little New Year to Lantern Festival 2027), not this year's, long over.
    assert "the next window runs from 2027-01-30 to 2027-02-20" in flat
    assert "its first day is 2027-01-30" in flat
    assert "2026-02" not in flat
    assert not (sample / "reminder.db").exists()


def test_dry_run_renders_but_writes_and_sends_nothing(cli: Any, sample: Path) -> None:
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--dry-run",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert (report["planned"], report["sent"]) == (0, 0)
    assert [p["audience"] for p in report["pushes"]] == [36, 29]
    assert not (sample / "reminder.db").exists()
    assert not (sample / "outbox.jsonl").exists()


def test_dry_run_after_a_send_counts_what_is_already_planned(cli: Any, sample: Path) -> None:
    send_json(cli, sample / "config.yaml", "--date", "2027-01-30")
    report = send_json(cli, sample / "config.yaml", "--date", "2027-01-30", "--dry-run")
    assert report["already_planned"] == 65


def test_unknown_campaign_and_push(cli: Any, sample: Path) -> None:
    result = cli("--config", sample / "config.yaml", "send", "christmas", "--date", "2027-01-30")
    assert result.exit_code == 2
    assert "no campaign 'christmas'; campaigns: mid-autumn, spring-festival" in result.output
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--push",
        "x",
        "--date",
        "2027-01-30",
    )
    assert result.exit_code == 2
    assert "has no push 'x'" in result.output
    result = cli("--config", sample / "config.yaml", "send", "spring-festival", "--date", "2/1")
    assert result.exit_code == 2
    assert "'2/1' is not a date" in result.output


@freeze_time("2027-01-30 02:00:00")  # 10:00 in Shanghai, outside the quiet hours
def test_a_real_gateway_without_a_terminal_and_without_yes_refuses(
    cli: Any, files: ProjectFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    _twilio_config(files, monkeypatch, "http://127.0.0.1:9")
    result = cli("--config", files.config_path, "send", "test", "--date", "2027-01-30")
    assert result.exit_code == 2
    assert "sends to real phones: 3 messages would be sent" in result.output
    assert "--yes" in result.output
    store = open_store(f"sqlite:///{files.database}")
    try:
        assert store.messages() == []
    finally:
        store.close()


def test_console_output_and_logs_mask_every_number(cli: Any, sample: Path) -> None:
    (sample / "config.yaml").write_text("gateway: console\n", encoding="utf-8")
    outputs = []
    for args in (
        ["-v", "send", "spring-festival", "--date", "2027-01-30"],
        ["preview", "spring-festival", "--date", "2027-01-30", "--limit", "100"],
        ["log", "--limit", "100"],
        ["log", "--json", "--limit", "100"],
    ):
        result = cli("--config", sample / "config.yaml", *args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    text = "\n".join(outputs)
    assert "****" in text
    assert not FULL_NUMBER.search(text), FULL_NUMBER.search(text)


def test_log_shows_numbers_only_when_asked(cli: Any, sample: Path) -> None:
    send_json(cli, sample / "config.yaml", "--date", "2027-01-30", "--push", "family-greeting")
    masked = json.loads(cli("--config", sample / "config.yaml", "log", "--json").stdout)
    shown = json.loads(
        cli("--config", sample / "config.yaml", "log", "--json", "--show-numbers").stdout
    )
    assert all("****" in row["to"] for row in masked)
    assert all(row["to"].startswith("+86") and "*" not in row["to"] for row in shown)
    assert len(masked) == 29 and {row["status"] for row in masked} == {"sent"}


def test_log_filters_by_campaign_and_status(cli: Any, sample: Path) -> None:
    send_json(cli, sample / "config.yaml", "--date", "2027-01-30")
    config = sample / "config.yaml"
    rows = json.loads(
        cli(
            "--config",
            config,
            "log",
            "spring-festival",
            "--status",
            "sent",
            "--limit",
            "500",
            "--json",
        ).stdout
    )
    assert len(rows) == 65
    assert json.loads(cli("--config", config, "log", "mid-autumn", "--json").stdout) == []
    assert json.loads(cli("--config", config, "log", "--status", "failed", "--json").stdout) == []
    result = cli("--config", config, "log", "--status", "lost")
    assert result.exit_code == 2
    assert "unknown status 'lost'" in result.output


def test_preview_shows_one_contact(cli: Any, sample: Path) -> None:
    result = cli(
        "--config",
        sample / "config.yaml",
        "preview",
        "spring-festival",
        "--push",
        "family-greeting",
        "--date",
        "2027-01-30",
        "--contact",
        "f001",
    )
    assert result.exit_code == 0, result.output
    assert "family-greeting on 2027-01-30: 1 message\n" in result.output  # not "1 messages"
    assert "f001" in result.output and "+86 135****1633" in result.output
    assert not (sample / "reminder.db").exists()


def test_validate_the_sample(cli: Any, sample: Path) -> None:
    result = cli("--config", sample / "config.yaml", "validate")
    assert result.exit_code == 0, result.output
    assert "60 cadres, 29 family members" in result.output
    assert "push daily-leading: 36 recipients" in result.output
    assert "everything is valid" in result.output


def _twilio_config(files: ProjectFiles, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    files.write(config=twilio_config(url, account_sid="AC" + "0" * 32))


@freeze_time("2027-02-01 15:00:00")  # 23:00 in Shanghai
def test_a_real_gateway_does_not_send_in_the_quiet_hours(
    cli: Any, files: ProjectFiles, monkeypatch: pytest.MonkeyPatch, twilio_like: Any
) -> None:
    _twilio_config(files, monkeypatch, twilio_like.url)
    result = cli("--config", files.config_path, "send", "test", "--yes")
    assert result.exit_code == 2
    assert "it is 23:00 in Asia/Shanghai, inside the quiet hours 21:30–07:30" in result.output
    assert twilio_like.recorded.seen == []
    forced = cli(
        "--config", files.config_path, "send", "test", "--yes", "--ignore-quiet-hours", "--json"
    )
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["sent"] == 3


@freeze_time("2027-02-01 15:00:00")
def test_the_console_and_file_gateways_ignore_quiet_hours(cli: Any, files: ProjectFiles) -> None:
    files.write()
    result = cli("--config", files.config_path, "send", "test", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sent"] == 3


def test_send_reports_progress_as_lines_when_not_in_a_terminal(cli: Any, sample: Path) -> None:
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--json",
    )
    assert result.exit_code == 0
    progress = [line for line in result.stderr.splitlines() if " done, sent " in line]
    assert progress[-1].startswith(
        "spring-festival/family-greeting 2027-01-30: 29/29 done, sent 29, failed 0"
    )
    assert any(
        line.startswith("spring-festival/daily-leading 2027-01-30: 36/36 done") for line in progress
    )
    for push in ("daily-leading", "family-greeting"):
        lines = [line for line in progress if f"/{push} " in line]
        assert len(lines) == 1, "a push sent within seconds prints its last line only"
    json.loads(result.stdout)


def test_progress_bar_in_a_terminal() -> None:
    from datetime import UTC, datetime, timedelta

    from reminder.cli.progress import DispatchProgress
    from reminder.clock import FixedClock
    from reminder.status import Status

    clock = FixedClock(datetime(2027, 1, 30, tzinfo=UTC))
    with DispatchProgress("test", 5, clock, interactive=True) as progress:
        for status in (Status.sent, Status.sent, Status.failed, Status.unknown, Status.sent):
            clock.advance(timedelta(seconds=0.5))
            progress.update(None, status)  # type: ignore[arg-type]
        assert progress._progress is not None
        task = progress._progress.tasks[0]
        assert (task.completed, task.fields["sent"], task.fields["failed"]) == (5, 3, 1)
        assert task.fields["unknown"] == 1, "a lost answer is not a failure"
        assert task.fields["rate"] == "2.0"


def test_progress_bar_shows_the_time_left_on_the_engine_clock() -> None:
    from datetime import UTC, datetime, timedelta

    from reminder.cli.progress import DispatchProgress
    from reminder.clock import FixedClock
    from reminder.status import Status

    clock = FixedClock(datetime(2027, 1, 30, tzinfo=UTC))
    with DispatchProgress("test", 100, clock, interactive=True) as progress:
        for _ in range(10):
            clock.advance(timedelta(seconds=10))
            progress.update(None, Status.sent)  # type: ignore[arg-type]
        assert progress._progress is not None
        assert progress._progress.tasks[0].time_remaining == 900  # 90 more at one per 10 s


def test_progress_lines_say_how_long_the_rest_will_take(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from reminder.cli.progress import DispatchProgress
    from reminder.clock import FixedClock
    from reminder.status import Status

    clock = FixedClock(datetime(2027, 1, 30, tzinfo=UTC))
    with DispatchProgress("test", 100, clock, interactive=False) as progress:
        for _ in range(10):
            clock.advance(timedelta(seconds=1))  # one a second, as a slow gateway sends
            progress.update(None, Status.sent)  # type: ignore[arg-type]
        assert progress.eta() == timedelta(seconds=90)
    assert capsys.readouterr().err.splitlines() == [
        "test: 10/100 done, sent 10, failed 0, unknown 0, 1.0/s, about 0:01:30 left"
    ]


def test_progress_lines_come_at_most_every_five_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from reminder.cli.progress import DispatchProgress
    from reminder.clock import FixedClock
    from reminder.status import Status

    clock = FixedClock(datetime(2027, 1, 30, tzinfo=UTC))
    with DispatchProgress("test", 100, clock, interactive=False) as progress:
        for _ in range(100):
            clock.advance(timedelta(seconds=0.2))  # a tenth every 2 s
            progress.update(None, Status.sent)  # type: ignore[arg-type]
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" done")[0] for line in lines] == [
        "test: 30/100",
        "test: 60/100",
        "test: 90/100",
        "test: 100/100",
    ]


def test_send_ends_with_one_total_line_and_where_to_look(cli: Any, sample: Path) -> None:
    result = cli(
        "--config", sample / "config.yaml", "send", "spring-festival", "--date", "2027-01-30"
    )
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("in all: planned 65 new, sent 65, failed 0, unknown 0, skipped 0;")
    assert "`reminder log spring-festival`" in last
    assert "`reminder report spring-festival`" in last


def test_a_push_that_fails_to_render_leaves_nothing_written_for_the_others(
    cli: Any, files: ProjectFiles
) -> None:
    files.write(
        campaign={
            "id": "test",
            "name": "测试活动",
            "festival": "spring_festival",
            "window": {"start": "2027-01-30", "end": "2027-02-20"},
            "pushes": [push_entry("a"), push_entry("b", template="greeting.j2")],
        },
        templates={
            "daily.j2": "{{ contact.name }}：第{{ day }}天。",
            # Only family members have a cadre: rendering fails for the cadres.
            "greeting.j2": "{{ cadre.name }}家属：节日快乐。",
        },
    )
    result = cli("--config", files.config_path, "send", "test", "--date", "2027-02-01")
    assert result.exit_code == 2
    assert "templates/greeting.j2:1: 'cadre' is undefined" in result.output
    assert not files.database.exists() or _messages(files) == []
    assert not files.outbox.exists()


def test_send_counts_plans_and_sends_an_audience_larger_than_a_batch(
    cli: Any, files: ProjectFiles
) -> None:
    """The survey and planning work batch by batch (`PLAN_BATCH`, 2,000): none is lost between."""
    files.write(
        contacts=[cadre(i) for i in range(1, 2102)], groups={"everyone": {"rank": ">= clerk"}}
    )
    dry = cli(
        "--config", files.config_path, "send", "test", "--date", "2027-02-01", "--dry-run", "--json"
    )
    assert json.loads(dry.stdout)["pushes"][0]["audience"] == 2101
    report = json.loads(
        cli("--config", files.config_path, "send", "test", "--date", "2027-02-01", "--json").stdout
    )
    assert (report["planned"], report["sent"], report["already_planned"]) == (2101, 2101, 0)
    assert len(files.outbox.read_text(encoding="utf-8").splitlines()) == 2101


def _messages(files: ProjectFiles) -> list[Any]:
    store = open_store(f"sqlite:///{files.database}")
    try:
        return store.messages()
    finally:
        store.close()


def test_dry_run_says_what_the_occurrence_holds_and_what_is_new(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    cli.at(DAYTIME)  # which cases (and so how many segments) depends on what was read before
    first = cli("--config", config, "send", "spring-festival", "--date", "2027-01-30", "--dry-run")
    assert (
        "spring-festival/daily-leading 2027-01-30: 36 messages (97 segments); would plan 36 new, "
        "0 already planned; dry run, nothing sent or written"
    ) in first.output
    send_json(cli, config, "--date", "2027-01-30")
    again = cli("--config", config, "send", "spring-festival", "--date", "2027-01-30", "--dry-run")
    assert "36 messages (97 segments); would plan 0 new, 36 already planned" in again.output


def test_send_counts_messages_whose_answer_was_lost_as_unknown(
    cli: Any, files: ProjectFiles, twilio_like: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio accepts the first message but its answer never comes back within the client's
    timeout: `send` says so apart from sent and failed, and what happens next; the next `send`
    asks Twilio, finds it, and sends nothing twice."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    config = twilio_config(
        twilio_like.url,
        account_sid=ACCOUNT_SID,
        delivery={"concurrency": 1, "request_timeout_seconds": 0.3},
    )
    files.write(
        contacts=[cadre(1), cadre(2)], groups={"everyone": {"rank": ">= clerk"}}, config=config
    )
    twilio_like.script.append(Reply(action="lose", hold=3.0))
    args = ("--config", files.config_path, "send", "test", "--date", "2027-02-01", "--yes")
    first = cli.at(DAYTIME)(*args, "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["sent"], report["failed"], report["unknown"]) == (1, 0, 1)
    assert [(p["sent"], p["unknown"]) for p in report["pushes"]] == [(1, 1)]
    assert "1 message's fate is unknown" in first.stderr
    assert "the next `reminder send test --date 2027-02-01`" in first.stderr
    assert "sent 1, failed 0, unknown 1" in first.stderr, "the progress lines count it too"
    assert len(twilio_like.recorded.accepted) == 2

    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert "sent 1, failed 0, unknown 0, skipped 0" in again.stdout, "reconciled: Twilio has it"
    assert "fate is unknown" not in again.output
    assert len(twilio_like.recorded.accepted) == 2, "nothing was sent twice"
    assert not FULL_NUMBER.search(first.output + again.output)


def _set_unknown(database: Path, where: str) -> None:
    """As if the answers to these messages had been lost (and no provider can be asked)."""
    with open_store(f"sqlite:///{database}") as store, store.engine.begin() as connection:
        connection.execute(text(f"UPDATE message SET status='unknown' WHERE {where}"))


def test_send_reports_unknown_messages_an_earlier_run_left(cli: Any, sample: Path) -> None:
    """The console gateway cannot be asked what it printed: a message left `unknown` is counted
    by every later `send` of the occurrence until an operator resolves it, and `send` says how."""
    config = sample / "config.yaml"
    config.write_text("database_url: sqlite:///reminder.db\ngateway: console\n", encoding="utf-8")
    send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    _set_unknown(sample / "reminder.db", "id IN (3, 4)")
    again = send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    assert (again["sent"], again["failed"], again["unknown"]) == (0, 0, 2)
    text_run = cli("--config", config, "send", "spring-festival", "--date", "2027-01-30")
    assert text_run.exit_code == 0, text_run.output
    lines = text_run.stdout.splitlines()
    assert any(
        line.startswith("spring-festival/family-greeting 2027-01-30: planned 0 new")
        and line.endswith("sent 0, failed 0, unknown 2, skipped 0")
        for line in lines
    ), lines
    hint = next(line for line in lines if "fate is unknown" in line)
    assert hint.startswith("2 messages' fate is unknown and the console gateway cannot be asked")
    assert "`reminder log --status unknown`" in hint
    assert "`reminder retry --unknown --campaign spring-festival` sends them again" in hint
    assert not FULL_NUMBER.search(text_run.output)
    retried = cli("--config", config, "retry", "--unknown", "--campaign", "spring-festival")
    assert "2 messages put back in the queue" in retried.stdout and "sent 2" in retried.stdout
    settled = send_json(cli, config, "--date", "2027-01-30", "--push", "family-greeting")
    assert settled["unknown"] == 0


def test_log_counts_every_status_beyond_the_newest_shown(cli: Any, sample: Path) -> None:
    """`log` shows the newest messages; under them, how many of all the matching ones are in each
    status, so unknown ones further back are not hidden by --limit."""
    config = sample / "config.yaml"
    send_json(cli, config, "--date", "2027-01-30")
    _set_unknown(sample / "reminder.db", "id <= 3")
    table = cli("--config", config, "log", "--limit", "5")
    assert table.exit_code == 0, table.output
    assert "5 of 65 messages (newest first)" in table.stdout
    assert "by status: sent 62, unknown 3" in table.stdout
    only = cli("--config", config, "log", "spring-festival", "--status", "unknown")
    assert "3 messages (newest first)" in only.stdout and "by status: unknown 3" in only.stdout
    rows = json.loads(cli("--config", config, "log", "--status", "unknown", "--json").stdout)
    assert [r["id"] for r in rows] == [3, 2, 1] and {r["status"] for r in rows} == {"unknown"}
    assert all("****" in r["to"] for r in rows)
    assert not FULL_NUMBER.search(table.output + only.output)
