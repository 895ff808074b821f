"""When each push fires: its days in a window and its time on each day, as aware datetimes.

Random choices (`days: {random: N}`, `send_at: {between: [...]}`) are derived from a hash of the
campaign, the push and the year or date, so that preview, `reminder schedule` and the daemon
always agree.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminder.calendar.windows import ResolvedWindow, resolve
from reminder.inputs.campaigns import Campaign, Push, RandomDays, TimeRange


@dataclass(frozen=True)
class Occurrence:
    """One firing of one push on one date."""

    campaign: str
    push: str
    day: date
    at: datetime  # aware, in the campaign's zone
    window: ResolvedWindow
    provisional: bool


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()
    return random.Random(seed)


def push_days(campaign: Campaign, push: Push, window: ResolvedWindow) -> dict[date, bool]:
    """The days the push fires in `window`, each with whether it is provisional."""
    every = window.days()
    if push.days == "daily":
        return {day: window.provisional for day in every}
    if isinstance(push.days, RandomDays):
        count = min(push.days.random, len(every))
        chosen = _rng(campaign.id, push.id, window.year, "days").sample(every, count)
        return {day: window.provisional for day in sorted(chosen)}
    days: dict[date, bool] = {}
    for expr in push.days:
        resolved = resolve(expr, campaign.festival, window.year)
        if resolved.day in window:
            days[resolved.day] = window.provisional or resolved.provisional
    return dict(sorted(days.items()))


def send_time(campaign: Campaign, push: Push, day: date) -> time:
    """The time of day the push sends on `day`."""
    if isinstance(push.send_at, TimeRange):
        first, last = push.send_at.between
        start = first.hour * 60 + first.minute
        span = (last.hour * 60 + last.minute) - start
        minute = start + _rng(campaign.id, push.id, day.isoformat(), "time").randrange(span + 1)
        return time(minute // 60, minute % 60)
    return push.send_at


def occurrences(
    campaign: Campaign, push: Push, zone: str, first: date, last: date
) -> list[Occurrence]:
    """Every occurrence of the push on dates from `first` to `last`, in time order."""
    found = []
    for window in campaign.windows_between(first, last):
        for day, provisional in push_days(campaign, push, window).items():
            if first <= day <= last:
                at = datetime.combine(day, send_time(campaign, push, day), ZoneInfo(zone))
                found.append(Occurrence(campaign.id, push.id, day, at, window, provisional))
    return sorted(found, key=lambda o: o.at)


def occurrence_on(campaign: Campaign, push: Push, zone: str, day: date) -> Occurrence | None:
    """The push's occurrence on `day`, if it fires that day."""
    found = occurrences(campaign, push, zone, day, day)
    return found[0] if found else None


def next_occurrence(
    campaign: Campaign, push: Push, zone: str, after: datetime, horizon_days: int = 800
) -> Occurrence | None:
    """The first occurrence strictly after `after`, looking ahead up to `horizon_days`."""
    local = after.astimezone(ZoneInfo(zone)).date()
    step = 60
    for offset in range(0, horizon_days, step):
        first = local + timedelta(days=offset)
        for occurrence in occurrences(campaign, push, zone, first, first + timedelta(days=step)):
            if occurrence.at > after:
                return occurrence
    return None
