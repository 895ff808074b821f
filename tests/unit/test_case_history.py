"""Cases chosen from what each person has read, into the in-memory store: a crash mid-plan
picks the same cases again, a person's pushes of one day differ, a family member never reads
the cadre's case of the day, and expired messages were never read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reminder.clock import FixedClock
from reminder.inputs.config import load_config
from reminder.inputs.project import Project, load_project
from reminder.planning.history import CaseSource
from reminder.planning.plan import plan_streaming
from reminder.status import Status
from reminder.store import Selection
from reminder.testing import InMemoryStore
from tests.factories import ProjectFiles, cadre, case, push, spouse

DAY = date(2027, 2, 1)
CLOCK = FixedClock(datetime(2027, 1, 20, 0, 0, tzinfo=UTC))


def project(tmp_path: Path, **parts: object) -> Project:
    files = ProjectFiles(tmp_path / "project").write(**parts)
    return load_project(load_config(files.config_path))


def cases_of(store: InMemoryStore, **where: object) -> dict[tuple[str, str, date], str | None]:
    return {
        (m.contact_id, m.push, m.occurrence): m.case_id
        for m in store.messages()
        if all(getattr(m, k) == v for k, v in where.items())
    }


def test_a_crash_mid_plan_picks_the_same_cases(tmp_path: Path) -> None:
    loaded = project(tmp_path, contacts=[cadre(i) for i in range(1, 40)])
    whole, crashed = InMemoryStore(), InMemoryStore()
    for store in (whole, crashed):
        for offset in range(3):
            plan_streaming(loaded, store, "test", "daily", DAY + timedelta(days=offset), CLOCK)
    day = DAY + timedelta(days=3)
    plan_streaming(loaded, whole, "test", "daily", day, CLOCK)
    # A crash after the first batch: a new process plans the rest, a day later.
    plan_streaming(loaded, crashed, "test", "daily", day, CLOCK, batch=10)
    kept = [r for r in crashed.rows.values() if r["occurrence"] != day or r["contact_id"] < "c011"]
    crashed.rows = {r["id"]: r for r in kept}
    crashed.keys = {
        (r["campaign"], r["push"], r["occurrence"], r["contact_id"]): r["id"] for r in kept
    }
    later = FixedClock(datetime(2027, 2, 5, 0, 0, tzinfo=UTC))
    assert plan_streaming(loaded, crashed, "test", "daily", day, later) == 39 - 10
    assert cases_of(crashed) == cases_of(whole)


def test_a_persons_pushes_of_one_day_and_their_spouse_read_different_cases(
    tmp_path: Path,
) -> None:
    loaded = project(
        tmp_path,
        contacts=[cadre(1), cadre(2), spouse(1, of=1), spouse(2, of=2)],
        cases=[case(i) for i in range(1, 4)],
        campaign={
            "id": "test",
            "name": "测试活动",
            "festival": "spring_festival",
            "window": {"start": "2027-01-30", "end": "2027-02-20"},
            "pushes": [
                push("daily", audience=["cadres"], cases="all"),
                push("evening", audience=["cadres"], cases="all", send_at="18:00"),
                push("family", audience=["families"], cases="all", send_at="10:00"),
            ],
        },
    )
    store = InMemoryStore()
    for offset in range(9):
        for push_id in ("family", "evening", "daily"):  # planned in any order
            plan_streaming(loaded, store, "test", push_id, DAY + timedelta(days=offset), CLOCK)
    found = cases_of(store)
    for offset in range(9):
        day = DAY + timedelta(days=offset)
        for n in (1, 2):
            cadre_cases = {found[(f"c{n:03d}", "daily", day)], found[(f"c{n:03d}", "evening", day)]}
            assert len(cadre_cases) == 2
            assert found[(f"f{n:03d}", "family", day)] not in cadre_cases


def test_expired_messages_were_never_read(tmp_path: Path) -> None:
    loaded = project(tmp_path, contacts=[cadre(1)], cases=[case(i) for i in range(1, 4)])
    store = InMemoryStore()
    plan_streaming(loaded, store, "test", "daily", DAY, CLOCK)
    contact, after = loaded.book.contacts["c001"], DAY + timedelta(days=1)
    (planned,) = cases_of(store).values()
    read = CaseSource(loaded, store).readers([contact]).last_read("c001", after)
    assert read == {planned: (DAY, "test", "daily")}, "on its way: counted as read"
    assert CaseSource(loaded, store).readers([contact]).last_read("c001", DAY) == {}
    store.settle_planned(
        Selection("test"), Status.expired, CLOCK.now(), source="scheduler", detail="missed"
    )
    assert CaseSource(loaded, store).readers([contact]).last_read("c001", after) == {}
