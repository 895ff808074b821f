"""Dates written relative to a festival, and campaign windows resolved for a given year.

A date expression is a date (`2027-01-30`), or an anchor with an optional offset in days:
`-3d` (3 days before the campaign's festival), `festival`, `little_new_year`, `lantern+1d`,
`holiday_start`, `holiday_end+2d` (the campaign festival's official holiday period),
`first_workday_after_holiday`, `last_workday_before_holiday`. Anchors are resolved in the
*festival year*: the Gregorian year of the campaign's festival, so a campaign names no year and
resolves to the window of each year it is scheduled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from reminder.calendar.festivals import Festival, festival_date, nearest_festival_date
from reminder.calendar.holiday_periods import (
    HolidayPeriod,
    first_workday_after,
    holiday_period,
    is_workday,
)
from reminder.i18n import _

HOLIDAY_ANCHORS = ("holiday_start", "holiday_end")
WORKDAY_ANCHORS = ("first_workday_after_holiday", "last_workday_before_holiday")
_EXPRESSION = re.compile(r"^\s*(?P<anchor>[a-z_]+)?\s*(?:(?P<sign>[+-])\s*(?P<days>\d+)\s*d)?\s*$")


@dataclass(frozen=True)
class DateExpr:
    """A parsed date expression: a fixed date, or an anchor plus an offset in days."""

    fixed: date | None = None
    anchor: str = "festival"
    offset: int = 0

    def __str__(self) -> str:
        if self.fixed is not None:
            return self.fixed.isoformat()
        shift = f"{self.offset:+d}d" if self.offset else ""
        return f"{self.anchor}{shift}"


def parse_date_expr(value: object) -> DateExpr:
    """Parse a date or a festival-relative expression; ValueError says what is wrong."""
    if isinstance(value, date):
        return DateExpr(fixed=value)
    text = str(value).strip()
    try:
        return DateExpr(fixed=date.fromisoformat(text))
    except ValueError:
        pass
    match = _EXPRESSION.match(text)
    if not text or not match or (match.group("anchor") is None and match.group("sign") is None):
        raise ValueError(
            _(
                "cannot read date {text!r}; write a date (2027-01-30), an "
                "offset from the festival (-3d, +2d) or an anchor such as "
                "holiday_end+1d"
            ).format(text=text)
        )
    anchor = match.group("anchor") or "festival"
    known = ("festival", *Festival.__members__, *HOLIDAY_ANCHORS, *WORKDAY_ANCHORS)
    if anchor not in known:
        raise ValueError(
            _("unknown anchor {anchor!r} in {text!r}; anchors: {anchors}").format(
                anchor=anchor, text=text, anchors=", ".join(known)
            )
        )
    offset = int(match.group("days") or 0) * (-1 if match.group("sign") == "-" else 1)
    return DateExpr(anchor=anchor, offset=offset)


@dataclass(frozen=True)
class Resolved:
    """A resolved date and whether it rests on a provisional holiday period."""

    day: date
    provisional: bool = False


def resolve(expr: DateExpr, festival: Festival, year: int) -> Resolved:
    """The date `expr` means in festival year `year` (ValueError when it cannot be resolved)."""
    if expr.fixed is not None:
        return Resolved(expr.fixed)
    delta = timedelta(days=expr.offset)
    if expr.anchor == "festival":
        return Resolved(festival_date(festival, year) + delta)
    if expr.anchor in Festival.__members__:
        return Resolved(festival_date(Festival(expr.anchor), year) + delta)
    period = holiday_period(festival, year)
    if period is None:
        raise ValueError(
            _("{festival} is not a public holiday, so {anchor} has no meaning for it").format(
                festival=festival.value, anchor=expr.anchor
            )
        )
    if expr.anchor == "holiday_start":
        return Resolved(period.start + delta, period.provisional)
    if expr.anchor == "holiday_end":
        return Resolved(period.end + delta, period.provisional)
    if expr.anchor == "first_workday_after_holiday":
        day, guessed = first_workday_after(period.end)
        return Resolved(day + delta, period.provisional or guessed)
    day, guessed = _last_workday_before(period.start)
    return Resolved(day + delta, period.provisional or guessed)


def _last_workday_before(day: date) -> tuple[date, bool]:
    provisional = False
    candidate = day - timedelta(days=1)
    while True:
        working, guessed = is_workday(candidate)
        provisional = provisional or guessed
        if working:
            return candidate, provisional
        candidate -= timedelta(days=1)


@dataclass(frozen=True)
class ResolvedWindow:
    """A campaign window in one year: its dates, its festival, and the holiday period."""

    year: int
    start: date
    end: date
    festival: Festival
    festival_day: date
    holiday: HolidayPeriod | None
    provisional: bool

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def length(self) -> int:
        """How many days the window has."""
        return (self.end - self.start).days + 1

    def days(self) -> list[date]:
        """Every date of the window."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def index(self, day: date) -> int:
        """0 for the first day of the window, 1 for the second, …"""
        return (day - self.start).days


def resolve_window(start: DateExpr, end: DateExpr, festival: Festival, year: int) -> ResolvedWindow:
    """The window of festival year `year` (ValueError when it is empty or cannot be resolved)."""
    first = resolve(start, festival, year)
    last = resolve(end, festival, year)
    if last.day < first.day:
        raise ValueError(
            _("window end {last} ({end}) is before its start {first} ({start})").format(
                last=last.day, end=end, first=first.day, start=start
            )
        )
    festival_day = nearest_festival_date(festival, first.day, last.day)
    holiday = holiday_period(festival, festival_day.year)
    return ResolvedWindow(
        year=festival_day.year,
        start=first.day,
        end=last.day,
        festival=festival,
        festival_day=festival_day,
        holiday=holiday,
        provisional=first.provisional or last.provisional,
    )
