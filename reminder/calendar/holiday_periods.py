"""Official public-holiday periods (放假安排) around a festival, with swapped working days (调休).

Known periods come from `chinesecalendar` (MIT), which holds the State Council's published
arrangements for the years it covers (2004–2026 at the time of writing) and refuses other years.
For any other year a documented rule gives a **provisional** period and no swapped days are ever
invented:

- Spring Festival: eight days from New Year's Eve (lunar 12/30 or 12/29) to lunar 1/7;
- National Day: 1–7 October; a Mid-Autumn Festival falling from 29 September to 8 October joins
  that period (as published arrangements do);
- New Year's Day, Qingming, Labour Day (1–2 May), Dragon Boat, Mid-Autumn: the statutory day(s),
  extended over an adjacent Saturday and Sunday;
- Little New Year, Lantern Festival and Double Ninth are not public holidays: they have no period.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from reminder.calendar.festivals import Festival, festival_date

#: Statutory holiday days (counted from the festival date) for the fallback rule.
_STATUTORY: dict[Festival, tuple[int, int]] = {
    Festival.new_year: (0, 1),
    Festival.qingming: (0, 1),
    Festival.labour_day: (0, 2),
    Festival.dragon_boat: (0, 1),
    Festival.mid_autumn: (0, 1),
}


@dataclass(frozen=True)
class HolidayPeriod:
    """The days off around a festival, the weekend days worked in exchange, and whether the
    period is published (`provisional` False) or from the fallback rule (`provisional` True)."""

    festival: Festival
    start: date
    end: date
    swapped_workdays: tuple[date, ...] = ()
    provisional: bool = False

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        """How many days off the period has."""
        return (self.end - self.start).days + 1


@functools.cache
def holiday_period(festival: Festival, year: int) -> HolidayPeriod | None:
    """The official period of `festival` in `year`, or the provisional rule's; None if the
    festival is not a public holiday."""
    if festival in (Festival.little_new_year, Festival.lantern, Festival.double_ninth):
        return None
    day = festival_date(festival, year)
    try:
        return _published(festival, day)
    except NotImplementedError:
        return _provisional(festival, day)


def _published(festival: Festival, day: date) -> HolidayPeriod | None:
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if not (on_holiday and name):
        return _provisional(festival, day)
    start = end = day
    while _named_holiday(start - timedelta(days=1)):
        start -= timedelta(days=1)
    while _named_holiday(end + timedelta(days=1)):
        end += timedelta(days=1)
    names = {
        chinese_calendar.get_holiday_detail(start + timedelta(days=i))[1]
        for i in range((end - start).days + 1)
    }
    swapped = []
    for offset in range(1, 15):
        for candidate in (start - timedelta(days=offset), end + timedelta(days=offset)):
            working, label = _detail(candidate)
            if working is False and label in names and candidate.weekday() >= 5:
                swapped.append(candidate)
    return HolidayPeriod(festival, start, end, tuple(sorted(swapped)), provisional=False)


def _detail(day: date) -> tuple[bool | None, str | None]:
    try:
        detail: tuple[bool | None, str | None] = chinese_calendar.get_holiday_detail(day)
        return detail
    except NotImplementedError:
        return None, None


def _named_holiday(day: date) -> bool:
    on_holiday, name = _detail(day)
    return bool(on_holiday and name)


def _provisional(festival: Festival, day: date) -> HolidayPeriod:
    if festival is Festival.spring_festival:
        eve = day - timedelta(days=1)
        return HolidayPeriod(festival, eve, eve + timedelta(days=7), provisional=True)
    if festival is Festival.national_day:
        return HolidayPeriod(festival, day, day + timedelta(days=6), provisional=True)
    if festival is Festival.mid_autumn and date(day.year, 9, 29) <= day <= date(day.year, 10, 8):
        joined = (min(day, date(day.year, 10, 1)), max(day, date(day.year, 10, 7)))
        return HolidayPeriod(festival, *joined, provisional=True)
    shift, length = _STATUTORY[festival]
    start = day + timedelta(days=shift)
    end = start + timedelta(days=length - 1)
    while (start - timedelta(days=1)).weekday() >= 5:
        start -= timedelta(days=1)
    while (end + timedelta(days=1)).weekday() >= 5:
        end += timedelta(days=1)
    return HolidayPeriod(festival, start, end, provisional=True)


def is_workday(day: date) -> tuple[bool, bool]:
    """Whether `day` is a working day, and whether that answer is provisional (no published
    calendar for its year: then Monday to Friday are working days)."""
    try:
        return bool(chinese_calendar.is_workday(day)), False
    except NotImplementedError:
        return day.weekday() < 5, True


def first_workday_after(day: date) -> tuple[date, bool]:
    """The first working day after `day`, and whether it is provisional."""
    provisional = False
    candidate = day + timedelta(days=1)
    while True:
        working, guessed = is_workday(candidate)
        provisional = provisional or guessed
        if working:
            return candidate, provisional
        candidate += timedelta(days=1)
