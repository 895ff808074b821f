"""Retries outside the concurrency slots: a message waiting to retry gives its slot to the
others, stays `sending`, is released when a stop comes, and never retries past its deadline or
faster than the rate limit. Time is a fixed clock moved by the injected sleep (and by a slow
request where a test says so); concurrency is shown by which requests the gateway had open."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import reminder.delivery.sending
from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import (
    Accepted,
    DeliveryPolicy,
    GatewaySettings,
    OutgoingMessage,
)
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.errors import GatewayError, TransientGatewayError
from reminder.store import Selection, Store, open_store
from tests.factories import planned
from tests.support.stores import events

NOW = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)
#: Loop turns a request stays open at the fake provider (not time: other tasks run meanwhile).
TURNS = 20


def busy() -> TransientGatewayError:
    return TransientGatewayError("Too Many Requests", code="20429")


class ScriptedGateway(MemoryGateway):
    """Answers each message's requests from its own list of errors, then accepts it. Notes each
    request: the message, the clock's time, and the messages whose requests were open then."""

    def __init__(self, clock: FixedClock, **policy: Any) -> None:
        super().__init__(GatewaySettings(delivery=DeliveryPolicy(**policy)))
        self.clock = clock
        self.errors: dict[int, list[GatewayError]] = {}
        self.takes: dict[int, timedelta] = {}  # a slow answer moves the clock this much
        self.requests: list[tuple[int, datetime, frozenset[int]]] = []
        self.on_request: Callable[[int], None] = lambda _id: None
        self._open: set[int] = set()

    async def send(self, message: OutgoingMessage) -> Accepted:
        self._open.add(message.message_id)
        self.requests.append((message.message_id, self.clock.now(), frozenset(self._open)))
        self.on_request(message.message_id)
        try:
            for _ in range(TURNS):
                await asyncio.sleep(0)
            self.clock.advance(self.takes.get(message.message_id, timedelta()))
            errors = self.errors.get(message.message_id)
            if errors:
                raise errors.pop(0)
            return await super().send(message)
        finally:
            self._open.discard(message.message_id)

    @property
    def order(self) -> list[int]:
        return [message_id for message_id, _, _ in self.requests]


def planned_store(tmp_path: Path, count: int) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store.add_planned_batches(
        [[planned(i, date(2027, 1, 30), f"提醒{i}") for i in range(count)]], NOW
    )
    return store


def statuses(store: Store) -> dict[int, str]:
    return {m.id: m.status for m in store.messages() if m.id is not None}


def dispatch(
    store: Store,
    gateway: ScriptedGateway,
    sleep: Callable[[float], Awaitable[None]],
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchResult:
    dispatcher = Dispatcher(
        store,
        gateway,
        gateway.clock,
        per_number_cap=None,
        sleep=sleep,
        jitter=random.Random(1),
        should_stop=should_stop,
    )

    async def run() -> DispatchResult:
        # A guard, not a measure: a dispatcher that never notices the stop would hang the suite.
        return await asyncio.wait_for(dispatcher.run(Selection("spring")), timeout=10)

    return asyncio.run(run())


def advancing(clock: FixedClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the fixed clock on by what it was asked to wait."""

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return sleep


def test_a_message_waiting_to_retry_leaves_its_slot_to_the_others(tmp_path: Path) -> None:
    store = planned_store(tmp_path, 4)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=2)
    gateway.errors[1] = [busy()]
    while_waiting: list[str] = []

    async def sleep(_seconds: float) -> None:
        # Message 1's back-off lasts until the three others are through.
        while len(gateway.sent) < 3:
            await asyncio.sleep(0)
        while_waiting.append(statuses(store)[1])

    result = dispatch(store, gateway, sleep)
    assert gateway.order == [1, 2, 3, 4, 1]
    others_open = [len(open_ - {1}) for _, _, open_ in gateway.requests[1:4]]
    assert max(others_open) == 2, "while message 1 waited, both slots carried other messages"
    assert while_waiting == ["sending"], "a message waiting to retry stays sending"
    assert result.sent == 4
    assert set(statuses(store).values()) == {"sent"}
    assert {m.id: m.attempts for m in store.messages()}[1] == 2
    store.close()


def test_retries_end_at_the_deadline_with_attempts_left(tmp_path: Path) -> None:
    store = planned_store(tmp_path, 1)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(
        clock, concurrency=1, max_attempts=10, retry_base_seconds=1, retry_deadline_seconds=5
    )
    gateway.errors[1] = [busy() for _ in range(10)]
    result = dispatch(store, gateway, advancing(clock))
    times = [at for _, at, _ in gateway.requests]
    assert 1 < len(times) < 10
    assert all(at <= times[0] + timedelta(seconds=5) for at in times)
    (message,) = store.messages()
    assert (message.status, message.error_code, message.attempts) == ("failed", "20429", len(times))
    assert result.failed == 1
    store.close()


def test_a_retry_kept_waiting_for_a_slot_past_the_deadline_is_not_sent(tmp_path: Path) -> None:
    store = planned_store(tmp_path, 2)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=1, retry_base_seconds=1, retry_deadline_seconds=5)
    gateway.errors[1] = [busy()]
    gateway.takes[2] = timedelta(seconds=10)  # message 2 holds the only slot for 10 s
    result = dispatch(store, gateway, advancing(clock))
    assert gateway.order == [1, 2]
    first, second = sorted(store.messages(), key=lambda m: m.id or 0)
    assert (first.status, first.error_code) == ("failed", "20429")
    assert first.error_text is not None and "out of time" in first.error_text
    assert second.status == "sent"
    assert (result.sent, result.failed) == (1, 1)
    store.close()


def test_every_request_retries_included_waits_for_the_rate_limiter(tmp_path: Path) -> None:
    store = planned_store(tmp_path, 2)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=1, messages_per_second=1, retry_base_seconds=0.1)
    gateway.errors[1] = [busy()]
    dispatch(store, gateway, advancing(clock))
    assert sorted(gateway.order) == [1, 1, 2]
    starts = sorted((at - NOW).total_seconds() for _, at, _ in gateway.requests)
    # One request a second: the n-th starts no sooner than n seconds in.
    assert all(start >= n for n, start in enumerate(starts)), starts
    store.close()


def test_a_stop_during_a_back_off_releases_the_message_instead_of_retrying(
    tmp_path: Path,
) -> None:
    store = planned_store(tmp_path, 3)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=1)
    gateway.errors[1] = [busy()]
    stop = False

    async def sleep(_seconds: float) -> None:
        nonlocal stop
        stop = True  # the stop is requested while message 1 waits

    result = dispatch(store, gateway, sleep, should_stop=lambda: stop)
    assert gateway.order == [1], "nothing is sent after the stop, message 1 not retried"
    assert result.stopped and result.sent == 0
    assert statuses(store) == {1: "planned", 2: "planned", 3: "planned"}
    first = next(m for m in store.messages() if m.id == 1)
    assert (first.attempts, first.error_code) == (1, "20429")
    assert events(store, 1)[-1].detail == "stopped while waiting to retry"
    store.close()


def test_a_stop_ends_a_long_back_off_at_once(tmp_path: Path) -> None:
    store = planned_store(tmp_path, 3)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=2)
    gateway.errors[1] = [busy()]
    stop = False

    def request(message_id: int) -> None:
        nonlocal stop
        stop = stop or message_id == 2  # a signal arrives while message 2 is in flight

    gateway.on_request = request

    async def forever(_seconds: float) -> None:
        await asyncio.get_running_loop().create_future()

    result = dispatch(store, gateway, forever, should_stop=lambda: stop)
    assert gateway.order == [1, 2]
    assert result.stopped and result.sent == 1
    assert statuses(store) == {1: "planned", 2: "sent", 3: "planned"}
    store.close()


def test_a_stop_reaches_a_back_off_when_nothing_else_is_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing else asks `should_stop` while the only message waits: the wait itself looks.
    monkeypatch.setattr(reminder.delivery.sending, "STOP_POLL_SECONDS", 0)
    store = planned_store(tmp_path, 1)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=1)
    gateway.errors[1] = [busy()]
    stop = False

    async def forever(_seconds: float) -> None:
        nonlocal stop
        for _ in range(TURNS):  # the claiming loop finds nothing more and ends meanwhile
            await asyncio.sleep(0)
        stop = True
        await asyncio.get_running_loop().create_future()

    result = dispatch(store, gateway, forever, should_stop=lambda: stop)
    assert result.stopped
    assert statuses(store) == {1: "planned"}
    store.close()


def test_claiming_pauses_while_the_messages_held_wait_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A provider down: every request fails. Only `concurrency * HELD_PER_SLOT` messages are
    # taken through their attempts at a time, not the whole occurrence at once.
    monkeypatch.setattr(reminder.delivery.dispatch, "HELD_PER_SLOT", 2)
    store = planned_store(tmp_path, 6)
    clock = FixedClock(NOW)
    gateway = ScriptedGateway(clock, concurrency=1, max_attempts=3)
    for message_id in range(1, 7):
        gateway.errors[message_id] = [busy() for _ in range(3)]
    unfinished: list[int] = []

    def request(_message_id: int) -> None:
        now = statuses(store)
        unfinished.append(sum(now[seen] == "sending" for seen in set(gateway.order)))

    gateway.on_request = request

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    result = dispatch(store, gateway, sleep)
    assert result.failed == 6 and len(gateway.requests) == 18
    assert max(unfinished) == 2
    store.close()
