"""Throttling in messages *and* segments per second (a generic cell-rate algorithm).

Each `acquire(segments)` waits until both budgets allow the message: the message rate spaces
messages `1 / messages_per_second` apart, the segment rate spaces them `segments /
segments_per_second` apart. Time comes from the injected clock and waiting from the injected
`sleep`, so tests and simulations can run it on a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from reminder.clock import Clock

Sleep = Callable[[float], Awaitable[None]]


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
        self._lock = asyncio.Lock()
        self._next_message: datetime | None = None
        self._next_segment: datetime | None = None

    @property
    def unlimited(self) -> bool:
        """True when no rate is set."""
        return self._message_rate is None and self._segment_rate is None

    async def acquire(self, segments: int = 1) -> None:
        """Wait until a message of `segments` segments may be sent."""
        if self.unlimited:
            return
        async with self._lock:
            now = self._clock.now()
            ready = max(t for t in (now, self._next_message, self._next_segment) if t is not None)
            wait = (ready - now).total_seconds()
            if wait > 0:
                await self._sleep(wait)
            if self._message_rate is not None:
                self._next_message = ready + timedelta(seconds=1 / self._message_rate)
            if self._segment_rate is not None:
                self._next_segment = ready + timedelta(seconds=segments / self._segment_rate)
