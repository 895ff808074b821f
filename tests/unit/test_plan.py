"""Planning into the in-memory store: one message per contact of a push's audience, planned
once, suppressed numbers planned as skipped with their reason, nothing written when a message
fails to render. The project is read from a few small files (tests/factories.py); no
database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reminder.clock import FixedClock
from reminder.errors import InputError
from reminder.inputs.config import load_config
from reminder.inputs.project import Project, load_project
from reminder.planning.plan import plan_streaming
from reminder.store import SkipReason
from reminder.testing import InMemoryStore
from tests.factories import ProjectFiles, cadre, push, spouse

DAY = date(2027, 2, 1)
CLOCK = FixedClock(datetime(2027, 2, 1, 0, 0, tzinfo=UTC))


def project(tmp_path: Path, **parts: object) -> Project:
    files = ProjectFiles(tmp_path / "project").write(**parts)
    return load_project(load_config(files.config_path))


def plan(project: Project, store: InMemoryStore, **options: object) -> int:
    return plan_streaming(project, store, "test", "daily", DAY, CLOCK, **options)


def test_one_message_per_contact_planned_once(tmp_path: Path) -> None:
    loaded, store = project(tmp_path), InMemoryStore()
    assert plan(loaded, store) == 3
    assert plan(loaded, store) == 0, "planning again adds nothing"
    assert plan(loaded, store, batch=1) == 0, "nor batch by batch"
    messages = sorted(store.messages(), key=lambda m: m.contact_id)
    assert [(m.contact_id, m.status, m.occurrence) for m in messages] == [
        ("c001", "planned", DAY),
        ("c002", "planned", DAY),
        ("f001", "planned", DAY),
    ]
    assert messages[0].body.startswith("【测试纪委】干部1：")
    assert [e.status for e in store.events(messages[0].id or 0)] == ["planned"]


def test_suppressed_numbers_are_planned_skipped_with_the_reason(tmp_path: Path) -> None:
    loaded, store = project(tmp_path), InMemoryStore()
    for contact in (cadre(1), spouse(1, of=1)):
        number = loaded.book.contacts[contact["id"]].phone
        store.suppress(number, "回复退订", "inbound", CLOCK.now())
    plan(loaded, store)
    planned = {m.contact_id: (m.status, m.skip_reason, m.error_text) for m in store.messages()}
    assert planned == {
        "c001": ("skipped", SkipReason.suppressed, "suppressed: 回复退订"),
        "c002": ("planned", None, None),
        "f001": ("skipped", SkipReason.suppressed, "suppressed: 回复退订"),
    }


def test_protected_cadres_are_planned_despite_suppression_but_not_their_families(
    tmp_path: Path,
) -> None:
    loaded = project(tmp_path, config={"suppression": {"protect_cadres": True}})
    store = InMemoryStore()
    for contact in (cadre(1), spouse(1, of=1)):
        store.suppress(loaded.book.contacts[contact["id"]].phone, "STOP", "inbound", CLOCK.now())
    plan(loaded, store)
    planned = {m.contact_id: (m.status, m.skip_reason) for m in store.messages()}
    assert planned == {
        "c001": ("planned", None),
        "c002": ("planned", None),
        "f001": ("skipped", SkipReason.suppressed),
    }


def test_a_missed_occurrence_is_planned_expired_without_a_skip_reason(tmp_path: Path) -> None:
    loaded, store = project(tmp_path), InMemoryStore()
    assert plan(loaded, store, expired="missed by 3h00m (grace 120 min)") == 3
    assert {(m.status, m.skip_reason, m.error_text) for m in store.messages()} == {
        ("expired", None, "missed by 3h00m (grace 120 min)")
    }


def test_nothing_is_written_when_a_message_fails_to_render(tmp_path: Path) -> None:
    # Only the last contact's message fails: the batches before it were rendered already.
    failing = "{{ contact.name }}{% if contact.id == 'f001' %}{{ contact.nickname }}{% endif %}"
    loaded, store = project(tmp_path, templates={"daily.j2": failing}), InMemoryStore()
    with pytest.raises(InputError):
        plan(loaded, store, batch=1)
    assert store.messages() == [] and store.event_rows == []


def test_a_push_that_asks_records_its_question_and_shows_the_instruction(tmp_path: Path) -> None:
    ack = {"keywords": ["收到", "１"], "within": "4h"}
    loaded = project(
        tmp_path,
        campaign={
            "id": "test",
            "name": "测试活动",
            "festival": "spring_festival",
            "window": {"start": "2027-01-30", "end": "2027-02-20"},
            "pushes": [push(ack=ack)],
        },
        templates={"daily.j2": "{{ contact.name }}：节日廉洁提醒，{{ ack }}。"},
    )
    store = InMemoryStore()
    plan(loaded, store)
    assert {m.body for m in store.messages()} >= {"【测试纪委】干部1：节日廉洁提醒，回复收到确认。"}
    assert store.question_rows == {("test", "daily", DAY): (frozenset({"收到", "1"}), 4 * 3600)}
    assert not store.ask("test", "daily", DAY, ["x"], 60, CLOCK.now()), "asked once"


def test_a_follow_up_goes_to_exactly_those_who_did_not_answer(tmp_path: Path) -> None:
    from datetime import timedelta

    from reminder.inputs.acks import normalise_reply
    from reminder.store import NewReply, Selection

    asks = push(ack={"keywords": ["收到"], "within": "24h"})
    again = push("again", audience={"not_acknowledged": "daily", "after": "24h"})
    loaded = project(
        tmp_path,
        campaign={
            "id": "test",
            "name": "测试活动",
            "festival": "spring_festival",
            "window": {"start": "2027-01-30", "end": "2027-02-20"},
            "pushes": [asks, again],
        },
    )
    assert loaded.campaign("test").push("again").audience == ("everyone",)
    store = InMemoryStore()
    plan(loaded, store)
    asked = store.claim_batch(Selection("test", "daily", DAY), "file", "me", CLOCK.now(), 10)
    store.record_sent([(m.id or 0, None, "accepted") for m in asked], CLOCK.now())
    number = loaded.book.contacts["c001"].phone
    answer = NewReply("file", "r1", number, "收到", normalise_reply("收到"), CLOCK.now())
    store.add_replies([answer], CLOCK.now())
    next_day = DAY + timedelta(days=1)
    assert plan_streaming(loaded, store, "test", "again", DAY, CLOCK) == 0, "nothing asked yet"
    assert plan_streaming(loaded, store, "test", "again", next_day, CLOCK) == 2
    followed = {m.contact_id for m in store.messages() if m.push == "again"}
    assert followed == {"c002", "f001"}
    store.add_replies([NewReply("file", "r2", number, "x", "x", CLOCK.now())], CLOCK.now())
    assert plan_streaming(loaded, store, "test", "again", next_day, CLOCK) == 0, "planned once"
