"""The period a report covers: the campaign's window up to the report's moment.

A report made while the window runs covers its first day to today, "as of" the moment it was
made; one made after covers the whole window; one of a single date covers that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reminder.inputs.campaigns import Campaign


@dataclass(frozen=True)
class Period:
    """From `first` to `last` (both None when the campaign has no window near the report's
    date), in the campaign's `zone`; `as_of` is the report's moment when the window is still
    running (or has not started): the figures will change."""

    first: date | None
    last: date | None
    as_of: datetime | None
    zone: str

    @property
    def until(self) -> date | None:
        """The last date whose occurrences are due."""
        if self.first is None or self.last is None:
            return None
        if self.as_of is not None:
            return min(self.last, self.as_of.date())
        return self.last


def period_of(campaign: Campaign, zone: str, day: date | None, now: datetime) -> Period:
    """The period of a report made at `now` (aware, in the campaign's zone) of the whole
    window, or of `day` alone."""
    today = now.date()
    if day is not None:
        return Period(day, day, now if day >= today else None, zone)
    windows = campaign.windows_between(today - timedelta(days=400), today + timedelta(days=400))
    started = [w for w in windows if w.start <= today]
    window = started[-1] if started else (windows[0] if windows else None)
    if window is None:
        return Period(None, None, now, zone)
    return Period(window.start, window.end, now if today <= window.end else None, zone)
