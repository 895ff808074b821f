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

The next span is reserved while half of the current one is still ahead (pipelining), on a
thread (`offload`), so the event loop neither stops for the database's round trip nor waits for
it at a span's end: a stall there made the following slots late, and slots later than the
catch-up are lost. Catching up further than `CATCH_UP` would be a burst: the requests of a 1 s
window could be up to the rate plus what the node was late by, so lateness beyond it is dropped,
and counted (`late_seconds`; with `unused_seconds`, where the rate a node missed went).

Time is the engine's clock on every node (they agree as their hosts' clocks do); a skew between
hosts shifts where spans lie, not how long they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from reminder.clock import Clock
from reminder.delivery.throttle import CATCH_UP, Sleep

#: Reserves `seconds` of a gateway's timeline (now, seconds, catch-up seconds): it starts where
#: the timeline is free, or now if that is longer than the catch-up ago; returns the span's
#: start (`reminder.store.nodes.NodeBoard.reserve`, bound to one gateway).
Reserve = Callable[[datetime, float, float], datetime]
#: Runs a reservation off the event loop (`asyncio.to_thread`; tests run it in place).
Offload = Callable[..., Awaitable[datetime]]
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
        offload: Offload = asyncio.to_thread,
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
        self._offload = offload
        self._next: datetime | None = None  # the next free moment of the span held
        self._end: datetime | None = None  # where that span ends
        self._ahead: asyncio.Task[datetime] | None = None  # the next span, being reserved
        self._lock: asyncio.Lock | None = None  # made on the loop that first uses it
        #: How many spans this limiter reserved (the database's load).
        self.reservations = 0
        #: Where the timeline went that this node held but sent nothing in (seconds): slots the
        #: event loop woke up for later than the catch-up, and span ends too short for the
        #: next request. What the rate misses is these, summed over the nodes.
        self.late_seconds = 0.0
        self.unused_seconds = 0.0

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
        if self._lock is None:
            self._lock = asyncio.Lock()
        need = timedelta(seconds=self._seconds(segments, messages))
        async with self._lock:  # uncontended unless a span is being waited for
            now = self._clock.now()
            slot = self._on_time(self._next, now)
            if slot is None or self._end is None or slot + need > self._end + _SLACK:
                if slot is not None and self._end is not None and slot < self._end:
                    self.unused_seconds += (self._end - slot).total_seconds()
                length = max(self._span, need.total_seconds())
                start = await self._next_span(now, length)
                now = self._clock.now()
                slot = self._on_time(start, now)
                assert slot is not None
                self._end = start + timedelta(seconds=length)
            elif self._ahead is None and slot + need >= self._end - self._half():
                self._ahead = asyncio.ensure_future(self._reserve_span(now, self._span))
            self._next = slot + need
        wait = (slot - now).total_seconds()
        if wait > 0:
            await self._sleep(wait)

    def _on_time(self, slot: datetime | None, now: datetime) -> datetime | None:
        """`slot`, or now when it is later than the catch-up (the lateness counted)."""
        if slot is not None and slot < now - CATCH_UP:
            end = self._end if self._end is not None and slot < self._end else now
            self.late_seconds += max(0.0, (min(now, end) - slot).total_seconds())
            return now
        return slot

    def _half(self) -> timedelta:
        return timedelta(seconds=self._span / 2)

    async def _next_span(self, now: datetime, length: float) -> datetime:
        """The start of the span this node sends in next: the one reserved ahead, or one
        reserved now (of `length`, when a request needs more than a span)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            start = await ahead
            if length <= self._span:
                return start
            self.unused_seconds += self._span  # reserved ahead, too short for this request
        return await self._reserve_span(now, length)

    async def _reserve_span(self, now: datetime, length: float) -> datetime:
        self.reservations += 1
        return await self._offload(self._reserve, now, length, CATCH_UP.total_seconds())
