"""`reminder schedule` and the window report of `reminder validate` on the sample campaigns."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from freezegun import freeze_time


def days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def schedule(cli: Any, sample: Path, *args: str) -> list[dict[str, Any]]:
    result = cli("--config", sample / "config.yaml", "schedule", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def dates_of(rows: list[dict[str, Any]], push: str) -> list[str]:
    return [r["date"] for r in rows if r["push"] == push]


def test_spring_festival_2027_and_2028(cli: Any, sample: Path) -> None:
    rows = schedule(
        cli, sample, "--campaign", "spring-festival", "--from", "2027-01-01", "--to", "2028-12-31"
    )
    # Little New Year to Lantern Festival: 2027-01-30..02-20 and 2028-01-19..02-09.
    assert dates_of(rows, "daily-leading") == (
        days(date(2027, 1, 30), date(2027, 2, 20)) + days(date(2028, 1, 19), date(2028, 2, 9))
    )
    # Little New Year, the day before the (provisional) holiday, Lantern Festival.
    assert dates_of(rows, "family-greeting") == [
        "2027-01-30",
        "2027-02-04",
        "2027-02-20",
        "2028-01-19",
        "2028-01-24",
        "2028-02-09",
    ]
    assert dates_of(rows, "back-to-work") == ["2027-02-15", "2028-02-02"]
    first = rows[0]
    assert first == {
        "campaign": "spring-festival",
        "push": "daily-leading",
        "date": "2027-01-30",
        "time": "08:30",
        "timezone": "Asia/Shanghai",
        "audience": 36,
        "segments": first["segments"],
        "provisional": False,
        "state": "pending",
        "window": {"start": "2027-01-30", "end": "2027-02-20"},
    }
    assert first["segments"] >= 36
    provisional = {(r["push"], r["date"]) for r in rows if r["provisional"]}
    assert provisional == {
        ("family-greeting", "2027-02-04"),
        ("back-to-work", "2027-02-15"),
        ("family-greeting", "2028-01-24"),
        ("back-to-work", "2028-02-02"),
    }
    assert [r["audience"] for r in rows if r["push"] == "family-greeting"] == [29] * 6
    assert {r["audience"] for r in rows if r["push"] == "back-to-work"} == {60}


def test_mid_autumn_2027_and_2028(cli: Any, sample: Path) -> None:
    rows = schedule(
        cli, sample, "--campaign", "mid-autumn", "--from", "2027-01-01", "--to", "2028-12-31"
    )
    # 2027: 3 days before Mid-Autumn (15 September) to the end of its holiday (provisional: the
    # day itself); 2028: Mid-Autumn is 3 October, inside the National Day holiday (1–7 October).
    assert dates_of(rows, "daily-leading") == (
        days(date(2027, 9, 12), date(2027, 9, 15)) + days(date(2028, 9, 30), date(2028, 10, 7))
    )
    assert all(r["provisional"] for r in rows)
    spot = [r for r in rows if r["push"] == "key-posts"]
    assert len(spot) == 4
    assert all("09:00" <= r["time"] <= "11:30" for r in spot)
    assert (
        schedule(
            cli, sample, "--campaign", "mid-autumn", "--from", "2027-01-01", "--to", "2028-12-31"
        )
        == rows
    ), "the random days and minutes never change"


def test_schedule_range_and_default(cli: Any, sample: Path) -> None:
    with freeze_time("2027-02-19 12:00:00"):
        rows = schedule(cli, sample)
    assert rows[0]["date"] == "2027-02-19", "from today, in the configured zone"
    assert rows[-1]["date"] <= "2028-02-20"
    result = cli(
        "--config", sample / "config.yaml", "schedule", "--from", "2027-02-01", "--to", "2027-01-01"
    )
    assert result.exit_code == 2
    assert "before --from" in result.output
    table = cli(
        "--config", sample / "config.yaml", "schedule", "--from", "2027-02-03", "--to", "2027-02-05"
    )
    assert table.exit_code == 0
    assert "4 occurrences from 2027-02-03 to 2027-02-05" in table.output
    assert "provisional" in table.output


@freeze_time("2026-11-22 04:00:00")
def test_validate_reports_this_year_and_next(cli: Any, sample: Path) -> None:
    result = cli("--config", sample / "config.yaml", "validate")
    assert result.exit_code == 0, result.output
    assert (
        "window 2026: 2026-02-10 to 2026-03-03 (22 days), 春节 2026-02-17; holiday "
        "2026-02-15 to 2026-02-23"
    ) in result.output
    assert (
        "window 2027: 2027-01-30 to 2027-02-20 (22 days), 春节 2027-02-06; holiday "
        "2027-02-05 to 2027-02-12 (provisional: not yet published)"
    ) in result.output
    assert "push family-greeting: 29 recipients, days: 3 in 2026, 3 in 2027" in result.output


def test_a_push_that_does_not_fire_that_day_is_refused(cli: Any, sample: Path) -> None:
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--push",
        "back-to-work",
        "--date",
        "2027-02-01",
    )
    assert result.exit_code == 2
    assert "push 'back-to-work' of campaign 'spring-festival' does not fire on 2027-02-01" in (
        result.output
    )
    only_daily = json.loads(
        cli(
            "--config",
            sample / "config.yaml",
            "send",
            "spring-festival",
            "--date",
            "2027-02-01",
            "--json",
        ).stdout
    )
    assert [p["push"] for p in only_daily["pushes"]] == ["daily-leading"]


def states(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {(r["push"], r["date"]): r["state"] for r in rows}


def test_schedule_marks_what_the_store_holds_of_each_occurrence(cli: Any, sample: Path) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    config = sample / "config.yaml"
    first = cli.at(datetime(2027, 1, 30, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    sent = first("--config", config, "send", "spring-festival", "--push", "daily-leading")
    assert sent.exit_code == 0, sent.output
    sent = first("--config", config, "send", "spring-festival", "--date", "2027-02-04", "--yes")
    assert sent.exit_code == 0, sent.output
    engine = create_engine(f"sqlite:///{sample / 'reminder.db'}")
    with engine.begin() as connection:  # a run that stopped half-way through one push
        connection.execute(
            text(
                "UPDATE message SET status = 'planned' WHERE id IN (SELECT id FROM message "
                "WHERE push = 'daily-leading' AND occurrence = '2027-02-04' LIMIT 10)"
            )
        )
    engine.dispose()
    later = cli.at(datetime(2027, 2, 1, 2, 0, tzinfo=UTC))
    args = ("--campaign", "spring-festival", "--from", "2027-01-30", "--to", "2027-02-05")
    found = states(schedule(later, sample, *args))
    assert found[("daily-leading", "2027-01-30")] == "done"
    assert found[("family-greeting", "2027-01-30")] == "expired", "its day passed, nothing went"
    assert found[("daily-leading", "2027-01-31")] == "expired"
    assert found[("daily-leading", "2027-02-01")] == "pending", "today, not run yet"
    assert found[("daily-leading", "2027-02-04")] == "partly_done"
    assert found[("family-greeting", "2027-02-04")] == "done"
    assert found[("daily-leading", "2027-02-05")] == "pending"
    table = later("--config", config, "schedule", *args)
    assert table.exit_code == 0, table.output
    for word in ("done", "partly done", "pending", "expired"):
        assert word in table.output
    config.write_text(
        config.read_text("utf-8") + "language: zh-CN\napproval:\n  required: true\n", "utf-8"
    )
    found = states(schedule(later, sample, *args))
    assert found[("daily-leading", "2027-02-05")] == "awaiting_approval"
    assert found[("daily-leading", "2027-01-30")] == "done"
    table = later("--config", config, "schedule", *args)
    for word in ("已完成", "部分完成", "待审批", "已过期"):
        assert word in table.output


def test_an_occurrence_is_expired_only_once_the_daemon_would_no_longer_send_it(
    cli: Any, sample: Path
) -> None:
    from datetime import UTC, datetime

    args = ("--campaign", "spring-festival", "--from", "2027-02-01", "--to", "2027-02-01")
    # daily-leading fires at 08:30 in Shanghai; the daemon catches up for 120 minutes (grace).
    within = states(schedule(cli.at(datetime(2027, 2, 1, 2, 29, tzinfo=UTC)), sample, *args))
    assert within[("daily-leading", "2027-02-01")] == "pending", "10:29: still caught up"
    past = states(schedule(cli.at(datetime(2027, 2, 1, 2, 31, tzinfo=UTC)), sample, *args))
    assert past[("daily-leading", "2027-02-01")] == "expired", "10:31: past the grace"
    config = sample / "config.yaml"
    config.write_text(
        config.read_text("utf-8") + "scheduler:\n  grace_minutes: 180\n", encoding="utf-8"
    )
    longer = states(schedule(cli.at(datetime(2027, 2, 1, 2, 31, tzinfo=UTC)), sample, *args))
    assert longer[("daily-leading", "2027-02-01")] == "pending", "a longer grace: caught up"
