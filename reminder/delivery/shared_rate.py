"""A gateway's rate shared by every node on one PostgreSQL store.

`messages_per_second` and `segments_per_second` are what the provider allows the account, so
on a store several nodes dispatch from they are the total across nodes. Each gateway has one
timeline in the store (`rate_slot`); a node reserves a span of it (`SPAN`, 0.1 s: a hundred
messages at 1,000/s) in one short UPDATE, and spaces its own requests inside the span at the
full rate, as `reminder.delivery.throttle` does in one process. Spans never overlap, so however
many nodes send, the requests of all of them follow each other at the configured rate; the
database is asked once a span, not once a message. A request that does not fit in what is left
of a span takes a new one (the rest is left unused: the rate is never exceeded, only missed by
a little). Like the in-process limiter, a slot the loop woke up late for is used late by at most
`CATCH_UP`; after an idle spell the next span starts now.

Time is the engine's clock on every node (they agree as their hosts' clocks do); a skew between
hosts shifts where spans lie, not how long they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from reminder.clock import Clock
from reminder.delivery.throttle import CATCH_UP, Sleep

#: Reserves `seconds` of a gateway's timeline (now, seconds, catch-up seconds): it starts where
#: the timeline is free, or now if that is longer than the catch-up ago; returns the span's
#: start (`reminder.store.nodes.NodeBoard.reserve`, bound to one gateway).
Reserve = Callable[[datetime, float, float], datetime]
#: How much of the timeline one reservation takes.
SPAN = 0.1
#: Rounding of datetimes (microseconds): a request this much past a span's end still fits.
_SLACK = timedelta(microseconds=2)


class SharedRateLimiter:
    """Spaces out sends so that all nodes together keep to `messages_per_second` and
    `segments_per_second` (the same interface as `RateLimiter`)."""

    def __init__(
        self,
        clock: Clock,
        reserve: Reserve,
        messages_per_second: float | None = None,
        segments_per_second: float | None = None,
        sleep: Sleep = asyncio.sleep,
        span: float = SPAN,
    ) -> None:
        for name, rate in (("messages", messages_per_second), ("segments", segments_per_second)):
            if rate is not None and rate <= 0:
                raise ValueError(f"{name}_per_second must be positive")
        self._clock = clock
        self._reserve = reserve
        self._message_rate = messages_per_second
        self._segment_rate = segments_per_second
        self._sleep = sleep
        self._span = span
        self._next: datetime | None = None  # the next free moment of the span held
        self._end: datetime | None = None  # where that span ends
        #: How many spans this limiter reserved (the database's load).
        self.reservations = 0

    @property
    def unlimited(self) -> bool:
        """True when no rate is set."""
        return self._message_rate is None and self._segment_rate is None

    def _seconds(self, segments: int, messages: int) -> float:
        """How much of the timeline a request of `messages` and `segments` takes."""
        needs = [0.0]
        if self._message_rate is not None:
            needs.append(messages / self._message_rate)
        if self._segment_rate is not None:
            needs.append(segments / self._segment_rate)
        return max(needs)

    async def acquire(self, segments: int = 1, messages: int = 1) -> None:
        """Wait until `messages` messages of `segments` segments in all may be sent."""
        if self.unlimited:
            return
        now = self._clock.now()
        need = timedelta(seconds=self._seconds(segments, messages))
        slot = self._next
        if slot is not None and slot < now - CATCH_UP:
            slot = now
        if slot is None or self._end is None or slot + need > self._end + _SLACK:
            length = max(self._span, need.total_seconds())
            slot = self._reserve(now, length, CATCH_UP.total_seconds())
            self.reservations += 1
            self._end = slot + timedelta(seconds=length)
        self._next = slot + need
        wait = (slot - now).total_seconds()
        if wait > 0:
            await self._sleep(wait)
