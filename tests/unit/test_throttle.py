"""Throttling on an injected clock: the measured rate over a 10-second window stays within 5%
of the configured rate, for messages and for segments."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from reminder.clock import FixedClock
from reminder.throttle import RateLimiter

START = datetime(2027, 1, 30, tzinfo=UTC)


def run_limiter(
    limiter: RateLimiter, clock: FixedClock, sizes: list[int], workers: int
) -> list[tuple[datetime, int]]:
    """Send messages of the given sizes from several concurrent workers; returns send times."""
    sent: list[tuple[datetime, int]] = []
    queue = list(sizes)

    async def worker() -> None:
        while queue:
            size = queue.pop(0)
            await limiter.acquire(size)
            sent.append((clock.now(), size))
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(workers)))

    asyncio.run(main())
    return sent


def fake_sleep(clock: FixedClock):
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    return sleep


@pytest.mark.parametrize("rate", [10, 100, 1000])
def test_message_rate_within_5_percent_over_10_seconds(rate: int) -> None:
    clock = FixedClock(START)
    limiter = RateLimiter(clock, messages_per_second=rate, sleep=fake_sleep(clock))
    sent = run_limiter(limiter, clock, [1] * (rate * 12), workers=16)
    window = [
        t for t, _ in sent if START + timedelta(seconds=1) <= t < START + timedelta(seconds=11)
    ]
    measured = len(window) / 10
    assert abs(measured - rate) / rate <= 0.05, measured


@pytest.mark.parametrize("segment_rate", [1, 10, 100])
def test_segment_rate_counts_segments_not_messages(segment_rate: int) -> None:
    clock = FixedClock(START)
    limiter = RateLimiter(
        clock, messages_per_second=10_000, segments_per_second=segment_rate, sleep=fake_sleep(clock)
    )
    sizes = [1, 3, 2, 4] * (segment_rate * 4)
    sent = run_limiter(limiter, clock, sizes, workers=8)
    window = [
        s for t, s in sent if START + timedelta(seconds=1) <= t < START + timedelta(seconds=11)
    ]
    measured = sum(window) / 10
    assert abs(measured - segment_rate) / segment_rate <= 0.05 + 4 / (10 * segment_rate), measured
    assert len(window) < measured * 10, "fewer messages than segments: multi-part messages"


def test_unlimited_does_not_wait() -> None:
    clock = FixedClock(START)
    limiter = RateLimiter(clock, sleep=fake_sleep(clock))
    run_limiter(limiter, clock, [1] * 1000, workers=4)
    assert clock.now() == START


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(FixedClock(START), messages_per_second=0)
