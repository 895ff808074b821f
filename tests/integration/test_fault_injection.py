"""Fault injection: the dispatcher against a Twilio-like server on 127.0.0.1 that answers with
random 5xx, 429 bursts, permanent codes, slow answers, answers lost after acceptance and
connections cut before it. Every message must end delivered or failed with the right
classification, and no message may be accepted twice."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.delivery.receipts import sync
from reminder.status import Status
from reminder.store import Selection, open_store
from tests.factories import planned
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply, TwilioLikeServer

TRANSIENT = [
    Reply(503, 20503, "Service unavailable"),
    Reply(500, None, "Internal error"),
    Reply(429, 20429, "Too Many Requests"),
    Reply(400, 30001, "Queue overflow"),
]
PERMANENT = [
    Reply(400, 21211, "The 'To' number is not a valid phone number."),
    Reply(400, 30006, "Landline or unreachable carrier"),
]


def script(seed: int, length: int) -> list[Reply]:
    rng = random.Random(seed)
    replies = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.55:
            replies.append(Reply())
        elif roll < 0.75:
            replies.append(rng.choice(TRANSIENT))
        elif roll < 0.85:
            replies.append(rng.choice(PERMANENT))
        elif roll < 0.92:
            replies.append(Reply(action="lose", hold=1.0))
        else:
            replies.append(Reply(action="cut"))
    return replies


def expected(replies: list[Reply]) -> tuple[str, str | None]:
    """The final status and error code a recipient's sequence of replies must lead to."""
    if any(r.action == "lose" or (r.action == "answer" and r.status == 201) for r in replies):
        return "delivered", None
    last = replies[-1]
    return "failed", str(last.code) if last.code is not None else f"http-{last.status}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_message_ends_right_and_none_is_accepted_twice(tmp_path: Path, seed: int) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    now = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)
    clock = FixedClock(now)
    count = 60
    store.add_planned_batches(
        [[planned(i, date(2027, 1, 30), f"【测试】提醒{i}") for i in range(count)]],
        now,
    )

    async def no_wait(_seconds: float) -> None:
        clock.advance(timedelta(seconds=1))

    with TwilioLikeServer(delay=0.01, now=clock.now) as server:
        server.script = script(seed, 400)
        settings = TwilioSettings.model_validate(
            {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_number": "+15005550006",
                "base_url": server.url,
                "delivery": {
                    "concurrency": 6,
                    "max_attempts": 4,
                    "request_timeout_seconds": 0.4,
                    "segments_per_second": None,
                },
            }
        )

        async def run() -> None:
            gateway = TwilioGateway(settings)
            try:
                for _ in range(6):  # first pass, then passes that reconcile what was unclear
                    await Dispatcher(store, gateway, clock, sleep=no_wait, per_number_cap=None).run(
                        Selection("spring")
                    )
                    open_ = store.claims(
                        Selection("spring"), [Status.planned, Status.sending, Status.unknown]
                    )
                    if not open_:
                        break
                clock.advance(timedelta(minutes=10))
                await sync(store, gateway, clock, older_than=timedelta(minutes=5))
            finally:
                await gateway.aclose()

        asyncio.run(run())

    accepted = Counter(form["To"] for form in server.recorded.accepted)
    assert max(accepted.values()) == 1, "no message was accepted twice"
    replies: dict[str, list[Reply]] = defaultdict(list)
    for to, reply in server.recorded.replies:
        replies[to].append(reply)
    messages = store.messages(limit=1000)
    assert len(messages) == count
    outcomes = Counter()
    for message in messages:
        status, code = expected(replies[message.recipient])
        assert message.status == status, (message.recipient, replies[message.recipient])
        if status == "failed":
            assert message.error_code == code
        else:
            assert accepted[message.recipient] == 1
        outcomes[status] += 1
    assert outcomes["delivered"] > 0 and outcomes["failed"] > 0
    kinds = {r.action for r in server.script} | {r.action for _, r in server.recorded.replies}
    assert {"lose", "cut"} <= kinds, "the script exercised lost answers and cut connections"
    store.close()
