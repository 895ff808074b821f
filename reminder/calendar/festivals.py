"""Festival dates for any year from 1901 to 2099, from the lunar calendar (`lunar-python`).

Lunar festivals are converted, never offset from another festival: Little New Year (lunar 12/23)
is computed on its own, as it falls 7 or 8 days before the Spring Festival depending on the year.
"""

from __future__ import annotations

import functools
from datetime import date
from enum import StrEnum

from lunar_python import Lunar, Solar

from reminder.i18n import _

FIRST_YEAR = 1901
LAST_YEAR = 2099


class Festival(StrEnum):
    """The festivals a campaign can be built around."""

    new_year = "new_year"
    little_new_year = "little_new_year"
    spring_festival = "spring_festival"
    lantern = "lantern"
    qingming = "qingming"
    labour_day = "labour_day"
    dragon_boat = "dragon_boat"
    mid_autumn = "mid_autumn"
    national_day = "national_day"
    double_ninth = "double_ninth"

    @property
    def label(self) -> str:
        """The festival's Chinese name."""
        return LABELS[self]


LABELS: dict[Festival, str] = {
    Festival.new_year: "元旦",
    Festival.little_new_year: "小年",
    Festival.spring_festival: "春节",
    Festival.lantern: "元宵节",
    Festival.qingming: "清明节",
    Festival.labour_day: "劳动节",
    Festival.dragon_boat: "端午节",
    Festival.mid_autumn: "中秋节",
    Festival.national_day: "国庆节",
    Festival.double_ninth: "重阳节",
}

# (lunar year offset from the Gregorian year, lunar month, lunar day)
_LUNAR: dict[Festival, tuple[int, int, int]] = {
    Festival.little_new_year: (-1, 12, 23),
    Festival.spring_festival: (0, 1, 1),
    Festival.lantern: (0, 1, 15),
    Festival.dragon_boat: (0, 5, 5),
    Festival.mid_autumn: (0, 8, 15),
    Festival.double_ninth: (0, 9, 9),
}
_FIXED: dict[Festival, tuple[int, int]] = {
    Festival.new_year: (1, 1),
    Festival.labour_day: (5, 1),
    Festival.national_day: (10, 1),
}


@functools.cache
def festival_date(festival: Festival, year: int) -> date:
    """The Gregorian date of `festival` in Gregorian year `year` (1901–2099)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            _("festival dates are known for {first}–{last}, not {year}").format(
                first=FIRST_YEAR, last=LAST_YEAR, year=year
            )
        )
    if festival in _FIXED:
        month, day = _FIXED[festival]
        return date(year, month, day)
    if festival is Festival.qingming:
        solar = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()["清明"]
        return date(solar.getYear(), solar.getMonth(), solar.getDay())
    offset, month, day = _LUNAR[festival]
    solar = Lunar.fromYmd(year + offset, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def nearest_festival_date(festival: Festival, start: date, end: date) -> date:
    """The date of `festival` inside [start, end], or else the one closest to that window."""

    def distance(day: date) -> int:
        if start <= day <= end:
            return 0
        return min(abs((day - start).days), abs((day - end).days))

    years = [
        y
        for y in (start.year - 1, start.year, end.year, end.year + 1)
        if FIRST_YEAR <= y <= LAST_YEAR
    ]
    return min((festival_date(festival, y) for y in years), key=distance)
