"""The whole 2027 Spring Festival window (Little New Year to Lantern Festival), driven through
the real scheduling code — the daemon's triggers, its catch-up and the jobs' `App.run_due` — under
a fake clock, with the `file` gateway; including a restart mid-window and three days of
downtime."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.daemon.scheduler import Daemon, OccurrenceTrigger
from reminder.inputs.config import load_config
from reminder.store import open_store
from tests.support import stores
from tests.support.cases import check_case_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEADING = {"deputy_division", "division", "deputy_bureau", "bureau"}
SECTION = {"deputy_section", "section"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def start_daemon(sample: Path, clock: FixedClock) -> Daemon:
    app = App(load_config(sample / "config.yaml"), clock)
    app.load()
    return Daemon(app)


def drive(daemon: Daemon, clock: FixedClock, until: datetime) -> None:
    """Advance the fake clock from firing to firing, as APScheduler would, until `until`."""
    app = daemon.app
    triggers = {
        (cid, push.id): OccurrenceTrigger(app, cid, push.id)
        for cid, source in app.project.campaigns.items()
        for push in source.campaign.pushes
    }
    upcoming = {key: t.get_next_fire_time(None, clock.now()) for key, t in triggers.items()}
    while True:
        pending = {k: v for k, v in upcoming.items() if v is not None and v <= until}
        if not pending:
            break
        key = min(pending, key=lambda k: (pending[k], k))
        fire_at = pending[key]
        clock.set(fire_at + timedelta(seconds=3))  # jobs start a moment after their time
        daemon.fire(*key)
        upcoming[key] = triggers[key].get_next_fire_time(fire_at, clock.now())
    clock.set(until)


def stop(daemon: Daemon) -> None:
    daemon.app.close()


def expected_recipients(sample: Path) -> dict[str, set[str]]:
    cadres = yaml.safe_load((sample / "contacts/cadres.yaml").read_text(encoding="utf-8"))
    people = cadres["contacts"]
    leading = {p["id"] for p in people if p["rank"] in LEADING}
    section = {p["id"] for p in people if p["rank"] in SECTION}
    key = {p["id"] for p in people if "key_post" in p.get("tags", [])}
    spouses = set()
    for line in (sample / "contacts/families.csv").read_text(encoding="utf-8").splitlines()[1:]:
        fid, _name, _phone, cadre, relation, _tags = line.split(",")
        if cadre in leading and relation == "spouse":
            spouses.add(fid)
    return {
        "daily-leading": leading,
        "family-greeting": spouses,
        "back-to-work": leading | section | key,
    }


# Little New Year 2027-01-30 to Lantern 2027-02-20 (published lunar dates); the 2027 holiday
# is not published, so the documented rule applies: 5–12 February, first working day the 15th.
WINDOW = [date(2027, 1, 30) + timedelta(days=i) for i in range(22)]
DAYS = {
    "daily-leading": (WINDOW, time(8, 30)),
    "family-greeting": ([date(2027, 1, 30), date(2027, 2, 4), date(2027, 2, 20)], time(10, 0)),
    "back-to-work": ([date(2027, 2, 15)], time(8, 0)),
}


def test_a_whole_festival_with_a_restart_and_three_days_down(sample: Path) -> None:
    clock = FixedClock(at(date(2027, 1, 29), 12))
    daemon = start_daemon(sample, clock)
    daemon.catch_up()
    drive(daemon, clock, at(date(2027, 1, 31), 8, 45))
    stop(daemon)

    # Restarted the same morning: the 08:30 occurrence is done and is not sent again.
    daemon = start_daemon(sample, clock)
    daemon.catch_up()
    drive(daemon, clock, at(date(2027, 2, 3), 23, 0))
    stop(daemon)

    # Down from the evening of 3 February to 09:30 on 7 February.
    clock.set(at(date(2027, 2, 7), 9, 30))
    daemon = start_daemon(sample, clock)
    daemon.catch_up()
    drive(daemon, clock, at(date(2027, 2, 22), 12))
    store = daemon.app.store
    messages = store.messages(campaign="spring-festival")
    stop(daemon)

    missed = {("daily-leading", date(2027, 2, d)) for d in (4, 5, 6)}
    missed.add(("family-greeting", date(2027, 2, 4)))
    recipients = expected_recipients(sample)
    expected_sent = set()
    expected_expired = set()
    for push, (days, _) in DAYS.items():
        for day in days:
            target = expected_expired if (push, day) in missed else expected_sent
            target.update((push, day, contact) for contact in recipients[push])

    by_status: dict[str, set[tuple[str, date, str]]] = defaultdict(set)
    for m in messages:
        by_status[m.status].add((m.push, m.occurrence, m.contact_id))
    assert set(by_status) == {"sent", "expired"}
    assert by_status["sent"] == expected_sent
    assert by_status["expired"] == expected_expired
    assert len(messages) == len(expected_sent) + len(expected_expired)

    # Everything sent was sent at its configured time (7 February: at the restart, within the
    # grace period), never in the quiet hours.
    for m in messages:
        if m.status != "sent":
            continue
        local = m.sent_at.astimezone(SHANGHAI)
        days, send_at = DAYS[m.push]
        late = local - datetime.combine(m.occurrence, send_at, SHANGHAI)
        assert local.date() == m.occurrence
        assert timedelta(0) <= late <= timedelta(hours=2), (m.push, m.occurrence, local)
        assert time(7, 30) <= local.time() < time(21, 30)
    late = {
        (m.push, m.occurrence)
        for m in messages
        if m.status == "sent"
        and m.sent_at - datetime.combine(m.occurrence, DAYS[m.push][1], SHANGHAI)
        > timedelta(minutes=5)
    }
    assert late == {("daily-leading", date(2027, 2, 7))}, "only the restart sent late"

    # The file gateway received each sent message exactly once.
    lines = [json.loads(line) for line in (sample / "outbox.jsonl").read_text().splitlines()]
    received = Counter((r["push"], r["occurrence"], r["contact_id"]) for r in lines)
    assert max(received.values()) == 1
    assert set(received) == {(p, d.isoformat(), c) for p, d, c in expected_sent}

    # The case rule holds over what was read (the expired days were not): no case twice
    # before every case the reader may be sent, none about their surname, a spouse never the
    # cadre's case of the day.
    project = daemon.app.project
    assert check_case_rule(project, messages) == len(expected_sent) - 60  # back-to-work: none


def test_expired_occurrences_say_why(sample: Path) -> None:
    clock = FixedClock(at(date(2027, 2, 1), 11, 0))  # 2h30 after 08:30: past the grace period
    daemon = start_daemon(sample, clock)
    daemon.catch_up()
    messages = daemon.app.store.messages(campaign="spring-festival", occurrence=date(2027, 2, 1))
    stop(daemon)
    assert {m.status for m in messages} == {"expired"}
    assert all(m.error_text == "missed by 2h30m (grace 120 min)" for m in messages)
    assert not (sample / "outbox.jsonl").exists()


def test_planned_but_unsent_messages_of_a_missed_occurrence_expire(sample: Path) -> None:
    """Planned while the campaign was paused, never sent, then past the grace period."""
    store = open_store(load_config(sample / "config.yaml").database_url)
    store.set_paused("spring-festival", True, at(date(2027, 2, 1), 8, 0))
    store.close()
    clock = FixedClock(at(date(2027, 2, 1), 8, 31))
    daemon = start_daemon(sample, clock)
    daemon.catch_up()  # plans 1 February's daily push; the pause keeps it from being sent
    first = daemon.app.store.messages(occurrence=date(2027, 2, 1))
    assert Counter(m.status for m in first) == {"planned": 36}
    daemon.app.store.set_paused("spring-festival", False, clock.now())
    clock.set(at(date(2027, 2, 1), 11, 0))
    daemon.catch_up()
    messages = daemon.app.store.messages(occurrence=date(2027, 2, 1))
    events = stores.events(daemon.app.store, messages[0].id)
    stop(daemon)
    assert {(m.status, m.error_text) for m in messages} == {
        ("expired", "missed by 2h30m (grace 120 min)")
    }
    assert (events[-1].previous, events[-1].status, events[-1].source) == (
        "planned",
        "expired",
        "scheduler",
    )
    assert not (sample / "outbox.jsonl").exists()


def test_a_catch_up_inside_the_quiet_hours_waits(sample: Path) -> None:
    (sample / "config.yaml").write_text(
        "gateway: file\nquiet_hours: {start: '08:40', end: '09:00'}\n", encoding="utf-8"
    )
    clock = FixedClock(at(date(2027, 2, 1), 8, 45))
    daemon = start_daemon(sample, clock)
    daemon.catch_up()
    assert daemon.app.store.messages(occurrence=date(2027, 2, 1)) == []
    clock.set(at(date(2027, 2, 1), 9, 5))
    daemon.catch_up()
    sent = daemon.app.store.messages(occurrence=date(2027, 2, 1))
    stop(daemon)
    assert len(sent) == 36 and {m.status for m in sent} == {"sent"}


def test_triggers_fire_at_each_occurrence_in_utc(sample: Path) -> None:
    clock = FixedClock(datetime(2027, 1, 1, tzinfo=UTC))
    daemon = start_daemon(sample, clock)
    trigger = OccurrenceTrigger(daemon.app, "spring-festival", "family-greeting")
    first = trigger.get_next_fire_time(None, clock.now())
    second = trigger.get_next_fire_time(first, first)
    third = trigger.get_next_fire_time(second, second)
    fourth = trigger.get_next_fire_time(third, third)
    stop(daemon)
    assert [first, second, third] == [
        datetime(2027, 1, 30, 2, 0, tzinfo=UTC),
        datetime(2027, 2, 4, 2, 0, tzinfo=UTC),
        datetime(2027, 2, 20, 2, 0, tzinfo=UTC),
    ]
    assert fourth == datetime(2028, 1, 19, 2, 0, tzinfo=UTC)


def test_reload_takes_a_changed_push_from_its_next_occurrence(sample: Path, caplog) -> None:
    clock = FixedClock(at(date(2027, 2, 1), 9, 0))
    daemon = start_daemon(sample, clock)
    daemon.catch_up()  # 1 February 08:30 is sent (30 minutes late, within the grace period)
    trigger = OccurrenceTrigger(daemon.app, "spring-festival", "daily-leading")
    assert trigger.get_next_fire_time(None, clock.now()) == at(date(2027, 2, 2), 8, 30)

    campaign = sample / "campaigns/spring-festival.yaml"
    campaign.write_text(
        campaign.read_text(encoding="utf-8").replace('"08:30"', '"09:15"'), encoding="utf-8"
    )
    daemon.reload()
    trigger = OccurrenceTrigger(daemon.app, "spring-festival", "daily-leading")
    fire_at = trigger.get_next_fire_time(None, clock.now())
    assert fire_at == at(date(2027, 2, 1), 9, 15)
    clock.set(fire_at)
    daemon.fire("spring-festival", "daily-leading")
    assert len(daemon.app.store.messages(occurrence=date(2027, 2, 1))) == 36, (
        "the day's occurrence was already sent: the new time sends nothing twice"
    )
    assert trigger.get_next_fire_time(fire_at, clock.now()) == at(date(2027, 2, 2), 9, 15)

    campaign.write_text("id: [broken\n", encoding="utf-8")
    daemon.reload()
    assert "reload refused" in caplog.text
    assert "spring-festival" in daemon.app.project.campaigns, "the old files stay in force"
    stop(daemon)
