"""The store contract's questions and replies (`ask`, `add_replies`, `replies`), over every
store: which message a reply acknowledges, what is kept when none, and that a reply is counted
once and never moves a message's status."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from reminder.inputs.acks import normalise_reply
from reminder.status import Status
from reminder.store import NewReply, ReplyOutcome, Selection, Store
from tests.contract import test_store as contract
from tests.contract.test_store import NOW, SPRING_DAY, message
from tests.support.stores import add_planned, events, get

pytestmark = pytest.mark.postgres

opener = contract.opener
store = contract.store

DAY = date(2027, 2, 1)
HOUR = timedelta(hours=1)


def reply(
    text: str,
    sender: str,
    at: datetime,
    provider_id: str | None = None,
    *,
    opted_out: bool = False,
) -> NewReply:
    return NewReply(
        "twilio", provider_id, sender, text, normalise_reply(text), at, opted_out=opted_out
    )


def asked(
    store: Store,
    contacts: list[str],
    *,
    push: str = "daily",
    campaign: str = "spring",
    day: date = DAY,
    keywords: tuple[str, ...] = ("收到", "1"),
    within: timedelta = 24 * HOUR,
    at: datetime = NOW,
    accept: bool = True,
) -> list[int]:
    """Messages of one occurrence that ask for an answer, claimed (and accepted) at `at`."""
    store.ask(campaign, push, day, keywords, int(within.total_seconds()), at)
    ids = add_planned(
        store, [message(c, day=day, push=push, campaign=campaign) for c in contacts], at
    )
    store.claim_batch(Selection(campaign, push, day), "twilio", "me", at, len(ids))
    if accept:
        store.record_sent([(i, f"SM{i}", "accepted") for i in ids], at)
    return ids


def number(contact: str) -> str:
    return message(contact).recipient


def test_a_question_is_recorded_once(store: Store) -> None:
    assert store.ask("spring", "daily", DAY, ["1"], 3600, NOW)
    assert not store.ask("spring", "daily", DAY, ["2"], 60, NOW)


def test_a_keyword_acknowledges_the_message_and_its_status_stays(store: Store) -> None:
    [first, second] = asked(store, ["c001", "c002"])
    outcomes = store.add_replies(
        [
            reply("收到", number("c001"), NOW + HOUR, "r1"),
            reply("hello", number("c002"), NOW + HOUR, "r2"),
            reply("1", number("c404"), NOW + HOUR, "r3"),
        ],
        NOW + HOUR,
    )
    assert outcomes == [ReplyOutcome.acknowledged, ReplyOutcome.unmatched, ReplyOutcome.unmatched]
    assert get(store, first).status == "sent" and get(store, second).status == "sent"
    last = events(store, first)[-1]
    assert (last.source, last.status, last.previous) == ("reply", "sent", "sent")
    assert "收到" not in (last.detail or ""), "the text stays out of the events"
    acknowledged = store.replies(outcomes=[ReplyOutcome.acknowledged])
    assert [(r.message_id, r.contact_id, r.text, r.push) for r in acknowledged] == [
        (first, "c001", "收到", "daily")
    ]
    assert acknowledged[0].asked_at == NOW
    unmatched = store.replies(outcomes=[ReplyOutcome.unmatched])
    assert sorted(r.text for r in unmatched) == ["1", "hello"]
    assert all(r.message_id is None for r in unmatched)
    assert [r.text for r in store.replies(campaign="spring")] == ["收到"]


def test_a_duplicate_is_counted_once(store: Store) -> None:
    [first] = asked(store, ["c001"])
    again = reply("1", number("c001"), NOW + HOUR, "r1")
    assert store.add_replies([again, again], NOW + HOUR) == [ReplyOutcome.acknowledged, None]
    assert store.add_replies([again], NOW + 2 * HOUR) == [None]
    assert len(store.replies()) == 1
    assert sum(e.source == "reply" for e in events(store, first)) == 1


def test_replies_without_a_provider_id_are_each_kept(store: Store) -> None:
    asked(store, ["c001"])
    twice = reply("1", number("c001"), NOW + HOUR)
    assert store.add_replies([twice, twice], NOW + HOUR) == [ReplyOutcome.acknowledged] * 2


def test_a_late_answer_is_kept_unmatched(store: Store) -> None:
    asked(store, ["c001"], within=4 * HOUR)
    late = reply("1", number("c001"), NOW + 5 * HOUR, "r1")
    assert store.add_replies([late], NOW + 5 * HOUR) == [ReplyOutcome.unmatched]


def test_an_answer_before_the_acceptance_is_recorded_acknowledges_it(store: Store) -> None:
    [first] = asked(store, ["c001"], accept=False)
    early = reply("1", number("c001"), NOW + timedelta(seconds=1), "r1")
    assert store.add_replies([early], NOW) == [ReplyOutcome.acknowledged]
    store.record_sent([(first, "SM1", "accepted")], NOW + timedelta(seconds=2))
    assert get(store, first).status == "sent"
    assert store.replies()[0].message_id == first


def test_a_message_left_being_sent_closes_its_question_after_its_within(store: Store) -> None:
    """A message a crash (or a lost answer) left `sending` a month ago does not hold its
    question open: today's answer to another push's question is not ambiguous."""
    month_ago = NOW - timedelta(days=30)
    asked(store, ["c001"], push="weekly", day=DAY - timedelta(days=30), at=month_ago, accept=False)
    [today] = asked(store, ["c001"], push="daily")
    answer = reply("1", number("c001"), NOW + HOUR, "r1")
    assert store.add_replies([answer], NOW + HOUR) == [ReplyOutcome.acknowledged]
    assert store.replies()[0].message_id == today


def test_the_newest_of_one_pushs_questions_is_answered(store: Store) -> None:
    asked(store, ["c001"], within=48 * HOUR)
    [newer] = asked(store, ["c001"], day=DAY + timedelta(days=1), at=NOW + 24 * HOUR)
    answer = reply("1", number("c001"), NOW + 25 * HOUR, "r1")
    assert store.add_replies([answer], NOW + 25 * HOUR) == [ReplyOutcome.acknowledged]
    assert store.replies()[0].message_id == newer


def test_two_pushes_that_could_both_take_it_make_it_ambiguous(store: Store) -> None:
    asked(store, ["c001"])
    [commitment] = asked(store, ["c001"], campaign="family", keywords=("承诺", "1"))
    outcomes = store.add_replies(
        [
            reply("1", number("c001"), NOW + HOUR, "r1"),
            reply("承诺", number("c001"), NOW + HOUR, "r2"),
        ],
        NOW + HOUR,
    )
    assert outcomes == [ReplyOutcome.ambiguous, ReplyOutcome.acknowledged]
    ambiguous = store.replies(outcomes=[ReplyOutcome.ambiguous])
    assert [(r.text, r.message_id) for r in ambiguous] == [("1", None)]
    assert store.replies(campaign="family")[0].message_id == commitment


def test_an_opt_out_wins_over_a_keyword(store: Store) -> None:
    [first] = asked(store, ["c001"], keywords=("退订", "1"))
    out = reply("退订", number("c001"), NOW + HOUR, "r1", opted_out=True)
    assert store.add_replies([out], NOW + HOUR) == [ReplyOutcome.opted_out]
    assert all(e.source != "reply" for e in events(store, first))


def test_a_message_that_asked_nothing_takes_no_answer(store: Store) -> None:
    add_planned(store, [message("c001")], NOW)
    store.claim_batch(SPRING_DAY, "twilio", "me", NOW, 1)
    answer = reply("1", number("c001"), NOW + HOUR, "r1")
    assert store.add_replies([answer], NOW + HOUR) == [ReplyOutcome.unmatched]


def test_a_failed_or_planned_message_takes_no_answer(store: Store) -> None:
    [failed] = asked(store, ["c001"], accept=False)
    store.transition(failed, Status.failed, NOW, source="gateway")
    store.ask("spring", "daily", DAY, ["1"], 86400, NOW)
    add_planned(store, [message("c002")], NOW)  # planned, not claimed
    answers = [
        reply("1", number("c001"), NOW + HOUR, "r1"),
        reply("1", number("c002"), NOW + HOUR, "r2"),
    ]
    assert store.add_replies(answers, NOW + HOUR) == [ReplyOutcome.unmatched] * 2
