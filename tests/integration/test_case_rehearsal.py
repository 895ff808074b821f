"""Warning-education cases over three festivals of the sample — Spring Festival 2027, Mid-Autumn
2027, Spring Festival 2028 — sent day by day through the CLI on a fake clock with the `file`
gateway: for every person, no case twice before every case they may be sent has come, none
about their own surname (or their cadre's), a spouse never the cadre's case of the day, and
what `preview` showed before the first day is what was sent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.store import open_store
from tests.support.cases import check_case_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE = datetime(2027, 1, 25, 9, 0, tzinfo=SHANGHAI)
LAST = date(2028, 2, 15)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), SHANGHAI)


def occurrences(cli: Any, config: Path) -> list[tuple[date, str]]:
    """Every (date, campaign) with an occurrence until LAST, from `reminder schedule`."""
    shown = cli("--config", config, "schedule", "--to", LAST.isoformat(), "--json")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    return sorted({(date.fromisoformat(r["date"]), r["campaign"]) for r in rows})


def forecast(config: Path) -> dict[tuple[str, str, str, date], str]:
    """What `preview --contact` shows for every person before the first day: the case of each
    of their occurrences until LAST."""
    app = App(load_config(config), FixedClock(BEFORE))
    found = {}
    with app:
        for contact in app.project.book.contacts:
            for row in app.upcoming_cases(contact, BEFORE.date(), LAST):
                if row.choice is not None:
                    o = row.occurrence
                    found[(contact, o.campaign, o.push, o.day)] = row.choice.case.id
    return found


def test_three_festivals_keep_the_case_rule_and_the_preview(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    cli.at(BEFORE)
    days = occurrences(cli, config)
    assert {c for _, c in days} == {"spring-festival", "mid-autumn"}
    previewed = forecast(config)
    shown = cli("--config", config, "preview", "--contact", "f001", "--to", LAST.isoformat())
    assert shown.exit_code == 0, shown.output
    for (contact, _, _, day), case in previewed.items():
        if contact == "f001":
            assert any(
                day.isoformat() in line and case in line for line in shown.stdout.splitlines()
            )

    for day, campaign in days:
        cli.at(at(day))
        sent = cli("--config", config, "send", campaign, "--date", day.isoformat(), "--json")
        assert sent.exit_code == 0, sent.output
        assert json.loads(sent.stdout)["failed"] == 0

    store = open_store(load_config(config).database_url)
    try:
        messages = store.messages()
    finally:
        store.close()
    assert {m.status for m in messages} == {"sent"}
    project = load_project(load_config(config))
    readings = check_case_rule(project, messages)
    carried = {
        (m.contact_id, m.campaign, m.push, m.occurrence): m.case_id
        for m in messages
        if m.case_id is not None
    }
    assert readings == len(carried) > 1000
    assert carried == previewed, "preview before the first day is what was sent"

    # Not every year the same year: 2028 continues where 2027 stopped (Little New Year 2027 is
    # 30 January, 2028's is 19 January).
    def first_day(day: date) -> dict[str, str]:
        return {c: k for (c, _, p, d), k in carried.items() if p == "daily-leading" and d == day}

    first_2027, first_2028 = first_day(date(2027, 1, 30)), first_day(date(2028, 1, 19))
    assert len(first_2027) == len(first_2028) == 36
    assert all(first_2027[c] != first_2028[c] for c in first_2027)

    # The office sees how the cases were used, and who has read every case of a pool.
    usage = cli("--config", config, "cases", "usage", "--year", "2027", "--json")
    assert usage.exit_code == 0, usage.output
    report = json.loads(usage.stdout)
    in_2027 = Counter(k for (_, _, _, d), k in carried.items() if d.year == 2027)
    assert {u["id"]: u["sent"] for u in report["cases"]} == {
        case: in_2027.get(case, 0) for case in project.cases
    }
    exhausted = {(e["campaign"], e["push"]): set(e["contacts"]) for e in report["exhausted"]}
    spouses = {c for (c, _, p, _) in carried if p == "family-greeting"}
    assert exhausted[("spring-festival", "family-greeting")] == spouses  # 6 greetings, 4 cases
    assert exhausted[("spring-festival", "daily-leading")]  # 22 days a year, 17 cases
