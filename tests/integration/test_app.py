"""The application core on a SQLite file: its two rules (quiet hours, suppression), the one place
it builds a dispatcher, and the use cases the CLI and the daemon call — asserted on the store and
on what the gateway received."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.core.due import Outcome
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.errors import InputError, QuietHoursError
from reminder.inputs.config import load_config
from reminder.inputs.contacts import Contact
from reminder.inputs.project import overrides_suppression
from reminder.planning.plan import PlanResult
from reminder.status import Status
from reminder.store import Message, open_store
from tests.factories import ProjectFiles, cadre, spouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2027, 2, 1)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


class PhoneGateway(MemoryGateway):
    """The memory gateway, as if it reached real phones."""

    name: ClassVar[str] = "phones"
    real: ClassVar[bool] = True


def make_app(
    files: ProjectFiles, clock: FixedClock, gateway: MemoryGateway | None = None, **config: Any
) -> App:
    if isinstance(gateway, PhoneGateway):
        # Approval is not what these tests are about (tests/integration/test_approval.py).
        config.setdefault("approval", {"required": False})
    files.write(config=config or None)
    return App(load_config(files.config_path), clock, gateway=gateway or MemoryGateway())


def statuses(app: App) -> dict[str, str]:
    return {m.contact_id: m.status for m in app.store.messages()}


def on_day(outcomes: list[Outcome], day: date = DAY) -> list[Outcome]:
    """The outcomes of one occurrence (those of the days before expire: past the grace period)."""
    return [o for o in outcomes if o.occurrence.day == day]


@pytest.mark.parametrize(
    ("real", "scheduled", "hour", "holds"),
    [
        (False, False, 23, False),  # an operator's trial through console or file: any hour
        (False, True, 23, True),  # a scheduled rehearsal keeps the real timing
        (True, False, 23, True),
        (True, True, 23, True),
        (True, True, 10, False),
        (False, True, 10, False),
    ],
)
def test_one_quiet_hours_rule(
    files: ProjectFiles, real: bool, scheduled: bool, hour: int, holds: bool
) -> None:
    gateway = PhoneGateway() if real else MemoryGateway()
    app = make_app(files, FixedClock(at(hour)), gateway)
    hold = app.quiet_hours_hold("Asia/Shanghai", scheduled=scheduled)
    assert (hold is not None) == holds
    if hold is not None:
        assert (hold.local.hour, hold.start, hold.end) == (hour, time(21, 30), time(7, 30))


def test_sending_through_phones_waits_for_the_day_unless_told(files: ProjectFiles) -> None:
    gateway = PhoneGateway()
    app = make_app(files, FixedClock(at(23)), gateway)
    with pytest.raises(QuietHoursError, match="it is 23:00 in Asia/Shanghai"):
        app.send_occurrence("test", DAY)
    assert gateway.sent == [] and not files.database.exists()
    app.send_occurrence("test", DAY, ignore_quiet_hours=True)
    assert len(gateway.sent) == 3
    assert set(statuses(app).values()) == {"sent"}
    app.close()


def test_a_trial_send_through_a_gateway_without_phones_runs_at_any_hour(
    files: ProjectFiles,
) -> None:
    gateway = MemoryGateway()
    with make_app(files, FixedClock(at(23)), gateway) as app:
        result = app.send_occurrence("test", DAY)
    assert [(p.survey.planned, p.sent) for p in result.pushes] == [(3, 3)]
    assert len(gateway.sent) == 3


def test_the_daemon_defers_inside_the_quiet_hours_whatever_the_gateway(
    files: ProjectFiles,
) -> None:
    clock = FixedClock(at(8, 45))
    gateway = MemoryGateway()
    app = make_app(files, clock, gateway, quiet_hours={"start": "08:40", "end": "09:00"})
    assert [o.action for o in on_day(app.run_due("test", "daily"))] == ["deferred"]
    assert app.store.messages(occurrence=DAY) == [] and gateway.sent == []
    clock.set(at(9, 5))
    sent = on_day(app.run_due("test", "daily"))
    assert [(o.action, o.planned, o.sent) for o in sent] == [("sent", 3, 3)]
    assert [o.action for o in on_day(app.run_due("test", "daily"))] == ["done"]
    assert len(gateway.sent) == 3
    app.close()


def test_confirmation_is_asked_before_anything_is_written_and_only_for_phones(
    files: ProjectFiles,
) -> None:
    asked: list[int] = []

    def no(results: list[PlanResult]) -> bool:
        asked.append(sum(r.to_send for r in results))
        return False

    trial = make_app(files, FixedClock(at(10)), MemoryGateway())
    trial.send_occurrence("test", DAY, confirm=no)
    assert asked == [] and len(statuses(trial)) == 3
    trial.close()
    files.database.unlink()

    gateway = PhoneGateway()
    with make_app(files, FixedClock(at(10)), gateway) as app:
        declined = app.send_occurrence("test", DAY, confirm=no)
        assert asked == [3] and declined.declined
        assert gateway.sent == [] and not files.database.exists()
        app.send_occurrence("test", DAY, confirm=lambda _results: True)
        assert len(gateway.sent) == 3


def test_send_returns_counts_and_reports_progress_without_printing(
    files: ProjectFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, int, list[Status]]] = []

    class Watch:
        def __init__(self, result: PlanResult, waiting: int) -> None:
            self.entry: tuple[str, int, list[Status]] = (result.push, waiting, [])

        def __enter__(self) -> Any:
            seen.append(self.entry)
            return lambda _message, status: self.entry[2].append(status)

        def __exit__(self, *exc: object) -> None:
            pass

    with make_app(files, FixedClock(at(10))) as app:
        first = app.send_occurrence("test", DAY, progress=Watch)
        again = app.send_occurrence("test", DAY, progress=Watch)
    assert seen == [("daily", 3, [Status.sent] * 3), ("daily", 0, [])]
    push = first.pushes[0]
    assert (push.survey.audience, push.survey.planned, push.sent, push.failed) == (3, 3, 3, 0)
    assert push.statuses == Counter(sent=3)
    assert (again.pushes[0].survey.planned, again.pushes[0].survey.already_planned) == (0, 3)
    assert capsys.readouterr() == ("", "")


def test_a_dry_run_counts_and_writes_nothing(files: ProjectFiles) -> None:
    gateway = MemoryGateway()
    with make_app(files, FixedClock(at(23)), gateway) as app:
        dry = app.send_occurrence("test", DAY, dry_run=True)
    assert dry.dry_run and [p.survey.audience for p in dry.pushes] == [3]
    assert gateway.sent == [] and not files.database.exists()


@pytest.mark.parametrize("protect_cadres", [False, True])
def test_one_suppression_rule_at_planning_and_at_dispatch(
    files: ProjectFiles, protect_cadres: bool
) -> None:
    """A cadre (c001) and a spouse (f001) opted out: suppressed before planning, or between
    planning and dispatch, the same people are skipped, as the rule says."""
    settings = {"suppression": {"protect_cadres": protect_cadres}}
    expected = {"c001": "sent" if protect_cadres else "skipped", "c002": "sent", "f001": "skipped"}

    before = make_app(files, FixedClock(at(10)), **settings)
    for number in ("13800130001", "13900130001"):
        before.suppress(number, "退订")
    before.send_occurrence("test", DAY)
    assert statuses(before) == expected
    project = before.project
    for contact in project.book.contacts.values():
        assert project.sends_despite_suppression(contact.id) == overrides_suppression(
            contact, protect_cadres
        )
    before.close()
    files.database.unlink()

    after = make_app(files, FixedClock(at(10)), **settings)
    after.pause("test")
    after.send_occurrence("test", DAY)
    assert set(statuses(after).values()) == {"planned"}
    for number in ("13800130001", "13900130001"):
        after.suppress(number, "退订")
    after.resume("test")
    assert statuses(after) == expected
    after.close()


def test_the_suppression_rule() -> None:
    cadre_contact = Contact.model_validate(cadre(1) | {"phone": "+8613800130001"})
    family_contact = Contact.model_validate(spouse(1, of=1) | {"phone": "+8613900130001"})
    table = [
        (c.id, protect, overrides_suppression(c, protect))
        for c in (cadre_contact, family_contact)
        for protect in (False, True)
    ]
    assert table == [
        ("c001", False, False),
        ("c001", True, True),
        ("f001", False, False),
        ("f001", True, False),
    ]


def test_the_dispatcher_it_builds_keeps_the_cap_and_stops_when_asked(files: ProjectFiles) -> None:
    gateway = MemoryGateway()
    with make_app(files, FixedClock(at(10)), gateway, per_number_cap=1) as app:
        app.send_occurrence("test", DAY)
        capped = app.send_occurrence("test", date(2027, 2, 2))
        assert capped.pushes[0].statuses == Counter(skipped=3), "one message a number a day"
        app.pause("test")
        app.send_occurrence("test", date(2027, 2, 3))
        app.request_stop()
        stopped = app.resume("test")
        assert stopped.stopped and stopped.sent == 0
        waiting = app.store.messages(occurrence=date(2027, 2, 3))
        assert {m.status for m in waiting} == {"planned"}
    assert len(gateway.sent) == 3


def test_running_what_is_due_recovers_first(files: ProjectFiles) -> None:
    """A message of unknown fate is asked of the provider before anything is sent; the memory
    gateway never got it, so it is queued again and sent once with the others."""
    gateway = MemoryGateway()
    app = make_app(files, FixedClock(at(8, 31)), gateway)
    app.pause("test")
    app.send_occurrence("test", DAY)
    with app.store.engine.begin() as connection:
        connection.execute(text("UPDATE message SET status='unknown' WHERE id = 1"))
    app.store.set_paused("test", False, app.clock.now())
    outcomes = on_day(app.run_due("test", "daily"))
    assert [(o.action, o.reconciled, o.sent, o.unfinished) for o in outcomes] == [("sent", 1, 3, 0)]
    assert sorted(m.message_id for m in gateway.sent) == [1, 2, 3]
    app.close()


def test_load_reports_every_problem_of_the_files_and_the_gateway_at_once(
    files: ProjectFiles,
) -> None:
    files.write(
        config={"gateway": "twilio", "gateways": {"twilio": {"account_sid": "nope"}}},
        templates={"other.j2": "x"},
    )
    app = App(load_config(files.config_path), FixedClock(at(10)))
    with pytest.raises(InputError) as raised:
        app.load()
    text_of = "\n".join(str(p) for p in raised.value.problems)
    assert "daily.j2" in text_of and "twilio" in text_of


def test_the_app_closes_the_store_it_opened_and_not_one_it_was_given(
    files: ProjectFiles,
) -> None:
    files.write()
    config = load_config(files.config_path)
    given = open_store(config.database_url)
    with App(config, FixedClock(at(10)), store=given) as app:
        assert app.store is given
    assert given.messages() == []
    given.close()
    app = App(config, FixedClock(at(10)))
    opened = app.store
    app.close()
    assert app.store is not opened
    app.close()


def test_the_cli_runs_on_the_clock_it_is_given(cli: Any, files: ProjectFiles) -> None:
    files.write()
    cli.clock = FixedClock(at(10, day=date(2027, 2, 3)))
    sent = cli("--config", files.config_path, "send", "test", "--json")
    assert '"date": "2027-02-03"' in sent.stdout, "the default date is the clock's today"
    with open_store(f"sqlite:///{files.database}") as store:
        messages: list[Message] = store.messages()
    assert {m.sent_at for m in messages} == {cli.clock.now()}
