"""The one source of the current time (ARCHITECTURE.md invariant 5).

Nothing else in the package reads the wall clock: functions that need "now" take a `Clock`.
`SystemClock` reads `datetime.now`, so freezegun controls it in tests; `FixedClock` is for
simulations and tests that move time by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._at += delta

    def set(self, at: datetime) -> None:
        """Put the clock at `at` (aware)."""
        self._at = at.astimezone(UTC)


def today_in(clock: Clock, zone: str) -> date:
    """The current calendar date in the named time zone."""
    return clock.now().astimezone(ZoneInfo(zone)).date()
