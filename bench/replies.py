"""Matching replies: 10,000 replies against 1,000,000 stored messages, one reply a call (a
callback or a deliver_sm brings one), on SQLite and on PostgreSQL when one answers.

The store holds ten days of one asking push to 100,000 numbers (ten messages a number, all
sent; every day's occurrence asks with a 24 h `within`). The replies come an hour after the
last day's messages, from numbers drawn at random, a tenth of them twice: each reads the
number's messages of the last seven days (`LOOK_BACK`), of which one is still open. Measured:
milliseconds a reply through `Store.add_replies`, against the 5 ms goal, and — the baseline in
the same run — the same replies against a store of a hundredth the size (how matching scales).
Seeded with the driver's executemany, as `seed_report` does.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.run import Row
from reminder.inputs.acks import normalise_reply
from reminder.store import NewReply, SqlStore, open_store

GOAL_MS = 5.0
DAYS = 10
FIRST = date(2027, 1, 28)
SENT = datetime(2027, 1, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
REPLIES_AT = SENT + timedelta(days=DAYS - 1, hours=1)


def number(i: int) -> str:
    return f"+86137{i:08d}"


def seed(url: str, count: int) -> SqlStore:
    """A store of `count` sent messages over DAYS days to `count / DAYS` numbers, every day
    asking for an answer."""
    store = open_store(url)
    assert isinstance(store, SqlStore)
    numbers = max(count // DAYS, 1)
    postgres = store.engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for day in range(DAYS):
            occurrence = FIRST + timedelta(days=day)
            sent = SENT + timedelta(days=day)
            day_value = occurrence if postgres else occurrence.isoformat()
            sent_at = sent if postgres else sent.replace(tzinfo=None).strftime(stamp)
            cursor.execute(
                "INSERT INTO ack_question (campaign, push, occurrence, keywords, within_seconds, "
                f"created_at) VALUES ('bench', 'daily', {mark}, {mark}, 86400, {mark})",
                (day_value, json.dumps(["1", "收到"]), sent_at),
            )
            cursor.executemany(
                "INSERT INTO message (campaign, push, occurrence, contact_id, recipient, body, "
                "segments, encoding, template, variables, status, attempts, gateway, provider_id, "
                "sent_at, created_at, updated_at) VALUES ('bench', 'daily', "
                f"{mark}, {mark}, {mark}, 'x', 1, 'UCS-2', 't', '{{}}', 'sent', 1, 'bench', "
                f"{mark}, {mark}, {mark}, {mark})",
                [
                    (day_value, f"c{i:07d}", number(i), f"p{day}-{i}", sent_at, sent_at, sent_at)
                    for i in range(numbers)
                ],
            )
        raw.commit()
    finally:
        raw.close()
    if postgres:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE message")
    return store


def replies(count: int, numbers: int, rng: random.Random) -> list[NewReply]:
    """`count` replies from random numbers (a tenth of them sent again), a second apart."""
    found = []
    for i in range(count):
        text = rng.choice(["1", "收到", " 1 。", "好的"])
        found.append(
            NewReply(
                "bench",
                f"r{i}",
                number(rng.randrange(numbers)),
                text,
                normalise_reply(text),
                REPLIES_AT + timedelta(seconds=i),
            )
        )
    repeats = rng.sample(found, count // 10)
    stream = found + repeats
    rng.shuffle(stream)
    return stream


def match(store: SqlStore, stream: list[NewReply]) -> tuple[float, int]:
    """Milliseconds a reply, one reply a call; how many were acknowledgements."""
    acknowledged = 0
    started = time.perf_counter()
    for reply in stream:
        (outcome,) = store.add_replies([reply], reply.received_at)
        acknowledged += outcome is not None and outcome.value == "acknowledged"
    return (time.perf_counter() - started) * 1000 / len(stream), acknowledged


def bench_replies(messages: int, count: int, folder: Path) -> list[Row]:
    """ms a reply against `messages` stored messages and against a hundredth of them."""
    from bench.receipts import databases

    rows = []
    with databases(folder) as kinds:
        for name, fresh in kinds:
            figures = {}
            for size in (max(messages // 100, DAYS), messages):
                began = time.perf_counter()
                store = seed(fresh(f"replies{size}"), size)
                seeded = time.perf_counter() - began
                try:
                    stream = replies(count, max(size // DAYS, 1), random.Random(18))
                    figures[size] = (*match(store, stream), seeded, len(stream))
                finally:
                    store.close()
            big, small = figures[messages], figures[max(messages // 100, DAYS)]
            rows += [
                Row(
                    f"replies {name}, vs {messages:,} (ms/reply)",
                    big[0],
                    "ms",
                    "goal (ms)",
                    GOAL_MS,
                    big[0] / GOAL_MS,
                    "<= 1",
                ),
                Row(
                    f"replies {name}, vs {messages // 100:,} (ms/reply)",
                    small[0],
                    "ms",
                    f"vs {messages:,}",
                    big[0],
                    small[0] / big[0] if big[0] else 0.0,
                    "info",
                ),
                Row(
                    f"replies {name}, seeding {messages:,} (s)",
                    big[2],
                    "s",
                    "acknowledged",
                    big[1],
                    big[1] / big[3],
                    "info",
                ),
            ]
    return rows
