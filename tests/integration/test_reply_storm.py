"""A storm of replies on the SQL stores (SQLite, and PostgreSQL when configured): 10,000 people
answer a question, their replies arrive shuffled and a fifth of them twice, interleaved with the
acceptances of their messages and with delivery receipts (repeated, and stale ones after the
final word), some replies before their message's acceptance is recorded, some receipts before it
too (tried again later, as the SMPP sink and the providers do).

Every reply is counted once and matched to its own message, none is lost, an unknown word is
kept, and no message's status ever moves back.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reminder.inputs.acks import normalise_reply
from reminder.status import Status, can_move
from reminder.store import NewReply, ReplyOutcome, Selection, SqlStore, open_store
from reminder.store.sql.tables import EVENT, MESSAGE
from reminder.store.values import ReceiptUpdate
from tests.factories import planned

PEOPLE = 10_000
REPEATED = 0.2  # of the replies and of the receipts, arriving twice
SILENT_WORDS = 100  # of the people, who write something that is no answer
DAY = date(2027, 1, 30)
NOW = datetime(2027, 1, 30, 2, 0, tzinfo=UTC)
WINDOW = 120  # events that arrive in one moment


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = open_store(database_url)
    assert isinstance(opened, SqlStore)
    try:
        yield opened
    finally:
        opened.close()


def number(i: int) -> str:
    return f"+86139{i:08d}"


def prepared(store: SqlStore) -> dict[int, int]:
    """Plan and claim one asking message to each person; message id by person."""
    people = [planned(i, DAY, phone=number(i)) for i in range(PEOPLE)]
    store.add_planned_batches([people[i : i + 1000] for i in range(0, PEOPLE, 1000)], NOW)
    assert store.ask("spring", "daily", DAY, {"1", normalise_reply("收到")}, 86_400, NOW)
    claimed = store.claim_batch(Selection("spring"), "acme", "storm", NOW, PEOPLE)
    assert len(claimed) == PEOPLE
    return {int(m.contact_id[1:]): m.id or 0 for m in claimed}


def arrivals(rng: random.Random) -> list[tuple[str, int, Any]]:
    """What arrives, in the order it arrives: (kind, person, detail)."""
    events: list[tuple[str, int, Any]] = []
    for i in range(PEOPLE):
        events.append(("accepted", i, None))
        final = Status.delivered if i % 10 else Status.undelivered
        events.append(("receipt", i, final))
        events.append(("receipt", i, Status.sent))  # an ENROUTE that may come last
        if rng.random() < REPEATED:
            events.append(("receipt", i, final))
        text = "hello" if i < SILENT_WORDS else rng.choice(["1", "１", " 1 。", "收到"])
        events.append(("reply", i, text))
        if rng.random() < REPEATED:
            events.append(("reply", i, text))
    rng.shuffle(events)
    return events


def batches(events: list[tuple[str, int, Any]]) -> Iterator[tuple[str, list[tuple[int, Any]]]]:
    """What arrives in one moment (WINDOW events), taken by kind in the order the kinds first
    arrived: one callback's receipts, one read of the bind, one batch of acceptances."""
    for begin in range(0, len(events), WINDOW):
        kinds: dict[str, list[tuple[int, Any]]] = {}
        for kind, person, detail in events[begin : begin + WINDOW]:
            kinds.setdefault(kind, []).append((person, detail))
        yield from kinds.items()


def storm(store: SqlStore, ids: dict[int, int], rng: random.Random) -> Counter[str]:
    """Feed the arrivals to the store, in batches of one kind; what was recorded and retried.
    A receipt for a message whose acceptance is not recorded yet waits, and is tried again once
    its acceptance is (as the SMPP sink holds it, and a provider calls again)."""
    waiting: dict[int, list[ReceiptUpdate]] = {}
    counts: Counter[str] = Counter()
    at = NOW
    for kind, batch in batches(arrivals(rng)):
        at += timedelta(milliseconds=20)
        if kind == "accepted":
            moved = store.record_sent([(ids[i], f"p{i}", "accepted") for i, _ in batch], at)
            counts["accepted"] += len(moved)
            again = [u for i, _ in batch for u in waiting.pop(i, [])]
            assert all(a.message_id for a in store.apply_receipts(again, at)), "a receipt lost"
        elif kind == "receipt":
            updates = [ReceiptUpdate(f"p{i}", s, s.value, "callback") for i, s in batch]
            applied = store.apply_receipts(updates, at)
            for (i, _), update, result in zip(batch, updates, applied, strict=True):
                if result.message_id is None:
                    waiting.setdefault(i, []).append(update)
                    counts["receipts_early"] += 1
        else:
            replies = [
                NewReply("acme", f"r{i}", number(i), t, normalise_reply(t), at) for i, t in batch
            ]
            outcomes = store.add_replies(replies, at)
            counts["recorded"] += sum(1 for o in outcomes if o is not None)
    assert not waiting, "a receipt never found its message"
    return counts


def test_a_storm_of_replies_counts_each_once_and_moves_no_status_back(store: SqlStore) -> None:
    started = time.monotonic()
    ids = prepared(store)
    counts = storm(store, ids, random.Random(18))

    assert counts["accepted"] == PEOPLE
    assert counts["recorded"] == PEOPLE, "each reply counted once"
    assert counts["receipts_early"] > 0, "some receipts overtook their acceptance"
    replies = store.replies()
    assert len(replies) == PEOPLE, "none lost"
    by_person = {int(r.provider_id[1:]): r for r in replies if r.provider_id}
    assert len(by_person) == PEOPLE
    outcomes = Counter(r.outcome for r in replies)
    assert outcomes == {
        ReplyOutcome.acknowledged.value: PEOPLE - SILENT_WORDS,
        ReplyOutcome.unmatched.value: SILENT_WORDS,
    }
    wrong = [i for i, r in by_person.items() if i >= SILENT_WORDS and r.message_id != ids[i]]
    assert not wrong, "every answer matched its own message"
    early = [r for r in replies if r.asked_at is None]
    assert early, "some replies arrived before their message's acceptance was recorded"

    with store.engine.connect() as connection:
        final = dict(connection.execute(select(MESSAGE.c.id, MESSAGE.c.status)).all())
        events = connection.execute(
            select(EVENT.c.message_id, EVENT.c.previous, EVENT.c.status, EVENT.c.source).order_by(
                EVENT.c.id
            )
        ).all()
    expected = {
        ids[i]: (Status.delivered if i % 10 else Status.undelivered).value for i in range(PEOPLE)
    }
    assert final == expected, "every message at its final receipt's status"
    back = [
        e
        for e in events
        if e.previous is not None
        and e.status != e.previous
        and not can_move(Status(e.previous), Status(e.status))
    ]
    assert not back, f"statuses moved back: {back[:3]}"
    acknowledging = Counter(e.message_id for e in events if e.source == "reply")
    assert len(acknowledging) == PEOPLE - SILENT_WORDS
    assert set(acknowledging.values()) == {1}, "one acknowledgement event a message"
    print(f"storm: {time.monotonic() - started:.1f} s")
