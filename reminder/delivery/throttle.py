"""Throttling in messages *and* segments per second (a generic cell-rate algorithm).

Each `acquire(segments, messages)` reserves the next free slot and waits for it: the message
rate spaces slots `messages / messages_per_second` apart, the segment rate
`segments / segments_per_second` apart (a batch request of many messages takes the room of all
of them: providers count messages, not requests).
Slots are reserved before waiting, so while messages queue up the slots follow each other exactly
whatever the event loop's delays; a slot the loop woke up late for is used late rather than
lost, by at most `CATCH_UP` (so the rate holds on a busy loop and a burst stays that short).
After an idle spell the next slot is "now". Time comes from the injected clock and waiting from
the injected `sleep`, so tests and simulations can run it on a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from reminder.clock import Clock

Sleep = Callable[[float], Awaitable[None]]
#: How late a reserved slot may still be used (see the module doc).
CATCH_UP = timedelta(milliseconds=50)


class Limiter(Protocol):
    """What dispatch waits on before each request: this process's `RateLimiter`, or the rate
    every node shares (`reminder.delivery.shared_rate`)."""

    @property
    def unlimited(self) -> bool:
        """True when no rate is set."""
        ...

    async def acquire(self, segments: int = 1, messages: int = 1) -> None:
        """Wait until `messages` messages of `segments` segments in all may be sent."""
        ...


class RateLimiter:
    """Spaces out sends to at most `messages_per_second` and `segments_per_second`."""

    def __init__(
        self,
        clock: Clock,
        messages_per_second: float | None = None,
        segments_per_second: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        for name, rate in (("messages", messages_per_second), ("segments", segments_per_second)):
            if rate is not None and rate <= 0:
                raise ValueError(f"{name}_per_second must be positive")
        self._clock = clock
        self._message_rate = messages_per_second
        self._segment_rate = segments_per_second
        self._sleep = sleep
        self._next_message: datetime | None = None
        self._next_segment: datetime | None = None

    @property
    def unlimited(self) -> bool:
        """True when no rate is set."""
        return self._message_rate is None and self._segment_rate is None

    async def acquire(self, segments: int = 1, messages: int = 1) -> None:
        """Wait until `messages` messages of `segments` segments in all may be sent."""
        if self.unlimited:
            return
        now = self._clock.now()
        due = max(
            (t for t in (self._next_message, self._next_segment) if t is not None), default=now
        )
        slot = due if due >= now - CATCH_UP else now
        if self._message_rate is not None:
            self._next_message = slot + timedelta(seconds=messages / self._message_rate)
        if self._segment_rate is not None:
            self._next_segment = slot + timedelta(seconds=segments / self._segment_rate)
        wait = (slot - now).total_seconds()
        if wait > 0:
            await self._sleep(wait)
