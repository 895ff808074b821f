"""The rate every node shares, on an injected clock: several limiters (nodes) reserving spans
of one timeline together keep to the configured rate within 5 %, and ask for a span once per
hundred messages at 1,000/s, not once a message. The timeline here keeps the SQL's rule
(`reminder.store.sql.nodes`: a span starts at the later of the next free moment and the
earliest asked for); the SQL itself is tested on PostgreSQL in tests/integration/test_nodes.py."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reminder.clock import FixedClock
from reminder.delivery.shared_rate import SharedRateLimiter
from tests.unit.test_throttle import START, VirtualTime, in_window


class Timeline:
    """One gateway's timeline, as the `rate_slot` row keeps it."""

    def __init__(self) -> None:
        self.next_at = START - timedelta(days=1)
        self.calls = 0

    def reserve(self, now: datetime, seconds: float, catch_up: float) -> datetime:
        self.calls += 1
        start = self.next_at if self.next_at >= now - timedelta(seconds=catch_up) else now
        self.next_at = start + timedelta(seconds=seconds)
        return start


def run_nodes(
    limiters: list[SharedRateLimiter], time: VirtualTime, sizes: list[int], workers: int
) -> list[tuple[datetime, int]]:
    """Send messages of `sizes` from `workers` concurrent senders on each limiter (node)."""
    sent: list[tuple[datetime, int]] = []
    queue = list(sizes)

    async def worker(limiter: SharedRateLimiter) -> None:
        while queue:
            size = queue.pop(0)
            await limiter.acquire(size)
            sent.append((time.clock.now(), size))
            await asyncio.sleep(0)

    async def main() -> None:
        tasks = [
            asyncio.create_task(worker(limiter)) for limiter in limiters for _ in range(workers)
        ]
        await time.drive(tasks)

    asyncio.run(main())
    return sent


async def in_place(reserve: Callable[..., datetime], *args: Any) -> datetime:
    """Reserve on the event loop (the fake timeline answers at once; no thread to wait for)."""
    await asyncio.sleep(0)  # a round trip: other tasks run meanwhile
    return reserve(*args)


def nodes(
    time: VirtualTime, timeline: Timeline, count: int, **rates: float
) -> list[SharedRateLimiter]:
    return [
        SharedRateLimiter(time.clock, timeline.reserve, sleep=time.sleep, offload=in_place, **rates)
        for _ in range(count)
    ]


@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize("lateness", [0.0, 0.003])
def test_the_rate_is_the_total_across_nodes(count: int, lateness: float) -> None:
    time = VirtualTime(FixedClock(START), lateness=lateness)
    timeline = Timeline()
    limiters = nodes(time, timeline, count, messages_per_second=1000)
    sent = run_nodes(limiters, time, [1] * 12_000, workers=8)
    measured = len(in_window(sent)) / 10
    assert abs(measured - 1000) / 1000 <= 0.05, measured
    assert timeline.calls <= 12_000 / 50, "a span is reserved per block, not per message"


def test_segments_are_shared_too() -> None:
    time = VirtualTime(FixedClock(START))
    timeline = Timeline()
    limiters = nodes(time, timeline, 2, messages_per_second=10_000, segments_per_second=100)
    sent = run_nodes(limiters, time, [1, 3, 2, 4] * 400, workers=4)
    measured = sum(in_window(sent)) / 10
    assert abs(measured - 100) / 100 <= 0.05, measured


def test_spans_of_two_nodes_never_overlap_and_idle_time_is_not_saved_up() -> None:
    time = VirtualTime(FixedClock(START))
    timeline = Timeline()
    first, second = nodes(time, timeline, 2, messages_per_second=10)
    sent = run_nodes([first, second], time, [1] * 6, workers=1)
    times = sorted(t for t, _ in sent)
    assert all(b - a >= timedelta(seconds=0.1) for a, b in itertools.pairwise(times))
    time.clock.advance(timedelta(seconds=60))
    later = run_nodes([first, second], time, [1] * 3, workers=1)
    assert min(t for t, _ in later) >= START + timedelta(seconds=60) - timedelta(milliseconds=50)
    # A minute idle saves nothing up: after it, sends are still a tenth of a second apart.
    spaced = sorted(t for t, _ in later)
    assert all(b - a >= timedelta(seconds=0.1) for a, b in itertools.pairwise(spaced))


def test_unlimited_never_asks_the_store() -> None:
    time = VirtualTime(FixedClock(START))
    timeline = Timeline()
    run_nodes(nodes(time, timeline, 2), time, [1] * 100, workers=2)
    assert timeline.calls == 0 and time.clock.now() == START


def test_the_next_span_is_reserved_before_the_current_one_ends() -> None:
    time = VirtualTime(FixedClock(START))
    timeline = Timeline()
    asked: list[tuple[datetime, datetime]] = []

    def reserve(now: datetime, seconds: float, catch_up: float) -> datetime:
        start = timeline.reserve(now, seconds, catch_up)
        asked.append((time.clock.now(), start))
        return start

    limiter = SharedRateLimiter(time.clock, reserve, 1000, sleep=time.sleep, offload=in_place)
    run_nodes([limiter], time, [1] * 1000, workers=8)
    assert len(asked) >= 10
    ahead = [start - at for at, start in asked[1:]]
    assert min(ahead) >= timedelta(milliseconds=40), "asked while half a span was still ahead"
    assert limiter.late_seconds == 0 and limiter.unused_seconds == 0


def test_a_node_woken_late_drops_what_it_missed_and_never_bursts() -> None:
    """Woken 200 ms late every time (beyond the catch-up): the lateness is counted as lost,
    and no 1 s window holds more than the rate and the 50 ms catch-up."""
    time = VirtualTime(FixedClock(START), lateness=0.2)
    timeline = Timeline()
    (limiter,) = nodes(time, timeline, 1, messages_per_second=100)
    sent = sorted(t for t, _ in run_nodes([limiter], time, [1] * 600, workers=8))
    most = max(sum(1 for t in sent if first <= t < first + timedelta(seconds=1)) for first in sent)
    assert most <= 100 * 1.05 + 1, most
    assert limiter.late_seconds > 0
