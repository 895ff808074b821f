"""Throttling on an injected clock: the measured rate over a 10-second window stays within 5%
of the configured rate, for messages and for segments."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from reminder.clock import FixedClock
from reminder.delivery.throttle import RateLimiter

START = datetime(2027, 1, 30, tzinfo=UTC)


class VirtualTime:
    """Sleeping on a fake clock: sleepers wake in the order of their wake-up times, the clock
    jumping to each in turn, `lateness` seconds late (a busy event loop)."""

    def __init__(self, clock: FixedClock, lateness: float = 0.0) -> None:
        self.clock = clock
        self.lateness = timedelta(seconds=lateness)
        self.sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self.count = itertools.count()

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        target = self.clock.now() + timedelta(seconds=seconds)
        heapq.heappush(self.sleepers, (target, next(self.count), woken))
        await woken

    async def drive(self, busy: list[asyncio.Task[None]]) -> None:
        while not all(task.done() for task in busy):
            for _ in range(20):  # let every runnable task run up to its next wait
                await asyncio.sleep(0)
            if self.sleepers:
                target, _, woken = heapq.heappop(self.sleepers)
                if target + self.lateness > self.clock.now():
                    self.clock.advance(target + self.lateness - self.clock.now())
                woken.set_result(None)


def run_limiter(
    limiter: RateLimiter, time: VirtualTime, sizes: list[int], workers: int
) -> list[tuple[datetime, int]]:
    """Send messages of the given sizes from several concurrent workers; returns send times."""
    sent: list[tuple[datetime, int]] = []
    queue = list(sizes)

    async def worker() -> None:
        while queue:
            size = queue.pop(0)
            await limiter.acquire(size)
            sent.append((time.clock.now(), size))
            await asyncio.sleep(0)

    async def main() -> None:
        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        await time.drive(tasks)

    asyncio.run(main())
    return sent


def in_window(sent: list[tuple[datetime, int]]) -> list[int]:
    """The sizes sent between second 1 and second 11 (past the start-up)."""
    return [s for t, s in sent if START + timedelta(seconds=1) <= t < START + timedelta(seconds=11)]


@pytest.mark.parametrize("rate", [10, 100, 1000])
def test_message_rate_within_5_percent_over_10_seconds(rate: int) -> None:
    time = VirtualTime(FixedClock(START))
    limiter = RateLimiter(time.clock, messages_per_second=rate, sleep=time.sleep)
    sent = run_limiter(limiter, time, [1] * (rate * 12), workers=16)
    measured = len(in_window(sent)) / 10
    assert abs(measured - rate) / rate <= 0.05, measured


@pytest.mark.parametrize("rate", [100, 1000])
def test_late_wake_ups_do_not_lower_the_rate(rate: int) -> None:
    """Every wake-up 3 ms late (three message intervals at 1,000/s): slots are reserved ahead,
    so lateness delays each message a little but loses none."""
    time = VirtualTime(FixedClock(START), lateness=0.003)
    limiter = RateLimiter(time.clock, messages_per_second=rate, sleep=time.sleep)
    sent = run_limiter(limiter, time, [1] * (rate * 12), workers=16)
    measured = len(in_window(sent)) / 10
    assert abs(measured - rate) / rate <= 0.05, measured


def test_never_faster_than_the_rate_after_a_pause() -> None:
    """After an idle spell the next slot is now: no burst of saved-up slots."""
    time = VirtualTime(FixedClock(START))
    limiter = RateLimiter(time.clock, messages_per_second=10, sleep=time.sleep)
    first = run_limiter(limiter, time, [1] * 5, workers=2)
    time.clock.advance(timedelta(seconds=30))
    second = run_limiter(limiter, time, [1] * 5, workers=2)
    for sent in (first, second):
        gaps = [(b - a).total_seconds() for (a, _), (b, _) in itertools.pairwise(sent)]
        assert gaps == pytest.approx([0.1] * 4)
    assert second[0][0] == START + timedelta(seconds=30.4)


@pytest.mark.parametrize("segment_rate", [1, 10, 100])
def test_segment_rate_counts_segments_not_messages(segment_rate: int) -> None:
    time = VirtualTime(FixedClock(START))
    limiter = RateLimiter(
        time.clock, messages_per_second=10_000, segments_per_second=segment_rate, sleep=time.sleep
    )
    sizes = [1, 3, 2, 4] * (segment_rate * 4)
    sent = run_limiter(limiter, time, sizes, workers=8)
    window = in_window(sent)
    measured = sum(window) / 10
    assert abs(measured - segment_rate) / segment_rate <= 0.05 + 4 / (10 * segment_rate), measured
    assert len(window) < measured * 10, "fewer messages than segments: multi-part messages"


def test_unlimited_does_not_wait() -> None:
    time = VirtualTime(FixedClock(START))
    limiter = RateLimiter(time.clock, sleep=time.sleep)
    run_limiter(limiter, time, [1] * 1000, workers=4)
    assert time.clock.now() == START


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(FixedClock(START), messages_per_second=0)
