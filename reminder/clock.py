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

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        ...

    def to_real(self, moment: datetime) -> datetime:
        """The wall-clock time at which this clock will read `moment` (for timers)."""
        ...

    def wall_now(self) -> datetime:
        """The machine's own time, whatever this clock simulates: what a provider's records
        are stamped with, so reconciliation never compares a rehearsal's date with them."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def to_real(self, moment: datetime) -> datetime:
        return moment

    def wall_now(self) -> datetime:
        return self.now()


class ScaledClock:
    """A simulated time that starts at `start` and runs `speed` times faster than the wall clock.

    `reminder run --clock-start … --clock-speed …` uses it to play a whole festival in minutes;
    `to_real` tells timers (APScheduler) when, in wall-clock time, a simulated moment comes.
    """

    def __init__(self, start: datetime, speed: float = 1.0, real: Clock | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs an aware start time")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._real = real or SystemClock()
        self._start = start.astimezone(UTC)
        self._origin = self._real.now()
        self._speed = speed

    def now(self) -> datetime:
        return self._start + (self._real.now() - self._origin) * self._speed

    def to_real(self, moment: datetime) -> datetime:
        return self._origin + (moment - self._start) / self._speed

    def wall_now(self) -> datetime:
        return self._real.now()


class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def to_real(self, moment: datetime) -> datetime:
        return moment

    def wall_now(self) -> datetime:
        """A fixed clock stands for the provider's clock too (tests share it with their peers)."""
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


def local_text(moment: datetime, zone: str, *, seconds: bool = False) -> str:
    """A time as a person reads it: in `zone`, with the zone shown
    (`2027-01-30 08:30 (Asia/Shanghai)`)."""
    shown = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{moment.astimezone(ZoneInfo(zone)).strftime(shown)} ({zone})"
