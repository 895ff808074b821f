"""Report figures from the in-memory store: skips counted by their reason code (never by the
words of `error_text`), coverage by contact and group, the last word on whoever was missed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from reminder.clock import FixedClock
from reminder.inputs.config import load_config
from reminder.inputs.project import Project, load_project
from reminder.planning.plan import plan_streaming
from reminder.reports.figures import build_report
from reminder.status import Status
from reminder.store import Selection, SkipReason
from reminder.testing import InMemoryStore
from reminder.views.report import occurrence_rows, reasons_text
from tests.factories import ProjectFiles, cadre, spouse

DAY1, DAY2 = date(2027, 2, 1), date(2027, 2, 2)
NOW = datetime(2027, 2, 2, 12, 0, tzinfo=UTC)


def seeded(tmp_path: Path) -> tuple[Project, InMemoryStore]:
    """Four cadres and a spouse, two days. Day 1: c001 delivered, c002 skipped by the cap
    (with words that do not say so), c003 failed, c004 suppressed, f001 sent (twilio, no
    receipt). Day 2: c003 delivered, the rest canceled."""
    people = [cadre(1), cadre(2), cadre(3), cadre(4), spouse(1, of=1)]
    files = ProjectFiles(tmp_path / "project").write(contacts=people)
    project = load_project(load_config(files.config_path))
    store = InMemoryStore()
    for day in (DAY1, DAY2):
        plan_streaming(project, store, "test", "daily", day, FixedClock(NOW))
    ids = {(m.occurrence, m.contact_id): m.id or 0 for m in store.messages()}
    store.claim_batch(Selection("test"), "twilio", "me", NOW, 10)
    sent = [(ids[DAY1, c], f"SM{c}", "ok") for c in ("c001", "f001")] + [
        (ids[DAY2, "c003"], "SMc003-2", "ok")
    ]
    store.record_sent(sent, NOW)
    for contact, day in (("c001", DAY1), ("c003", DAY2)):
        store.transition(ids[day, contact], Status.delivered, NOW, source="callback")
    store.skip(ids[DAY1, "c002"], SkipReason.per_number_cap, NOW, source="x", detail="too many")
    store.skip(ids[DAY1, "c004"], SkipReason.suppressed, NOW, source="x", detail="退订")
    store.transition(ids[DAY1, "c003"], Status.failed, NOW, source="gateway", error_code="30003")
    for message in store.claims(Selection("test", None, DAY2), [Status.sending]):
        store.requeue(message.id or 0, NOW, source="operator", detail="hold")
    store.settle_planned(
        Selection("test", None, DAY2), Status.canceled, NOW, source="operator", detail="no"
    )
    return project, store


def test_skips_are_counted_by_their_reason(tmp_path: Path) -> None:
    project, store = seeded(tmp_path)
    report = build_report(project, store, "test", None, NOW)
    first, second = report.occurrences
    assert (first.occurrence, first.targeted, first.delivered, first.sent, first.failed) == (
        DAY1,
        5,
        1,
        1,
        1,
    )
    assert first.skipped == {"per_number_cap": 1, "suppressed": 1}
    assert second.skipped == {"canceled": 4} and second.delivered == 1
    rows = occurrence_rows(report)
    assert reasons_text(rows[0]["skipped_by_reason"]) == "per-number cap 1; suppressed 1"
    assert reasons_text(rows[1]["skipped_by_reason"]) == "canceled 4"


def test_coverage_by_contact_and_group(tmp_path: Path) -> None:
    project, store = seeded(tmp_path)
    report = build_report(project, store, "test", None, NOW)
    assert (report.targeted, report.reached) == (5, 2), "c001 and c003; twilio's sent is not"
    groups = {g.group: (g.targeted, g.reached) for g in report.groups}
    assert groups == {"everyone": (5, 2)}
    assert report.awaiting == 1, "f001's message went through twilio: sent, awaiting receipt"
    missed = {u.contact_id: (u.last_status, u.last_error, u.last_date) for u in report.unreached()}
    assert missed == {
        "c002": ("canceled", "no", DAY2),
        "c004": ("canceled", "no", DAY2),
    }
    one_day = build_report(project, store, "test", DAY1, NOW)
    assert (one_day.targeted, one_day.reached) == (5, 1)
    assert {u.contact_id: u.last_error for u in one_day.unreached()} == {
        "c002": "too many",
        "c003": "30003",
        "c004": "退订",
    }
