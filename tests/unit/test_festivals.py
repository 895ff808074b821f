from datetime import date, timedelta

import pytest
from lunar_python import Solar

from reminder.calendar.festivals import Festival, festival_date, nearest_festival_date

# Published dates 2025–2035 (State Council notices and the Purple Mountain Observatory's
# calendar), as (month, day) per year.
PUBLISHED: dict[str, dict[int, tuple[int, int]]] = {
    "spring_festival": {
        2025: (1, 29),
        2026: (2, 17),
        2027: (2, 6),
        2028: (1, 26),
        2029: (2, 13),
        2030: (2, 3),
        2031: (1, 23),
        2032: (2, 11),
        2033: (1, 31),
        2034: (2, 19),
        2035: (2, 8),
    },
    "mid_autumn": {
        2025: (10, 6),
        2026: (9, 25),
        2027: (9, 15),
        2028: (10, 3),
        2029: (9, 22),
        2030: (9, 12),
        2031: (10, 1),
        2032: (9, 19),
        2033: (9, 8),
        2034: (9, 27),
        2035: (9, 16),
    },
    "dragon_boat": {
        2025: (5, 31),
        2026: (6, 19),
        2027: (6, 9),
        2028: (5, 28),
        2029: (6, 16),
        2030: (6, 5),
        2031: (6, 24),
        2032: (6, 12),
        2033: (6, 1),
        2034: (6, 20),
        2035: (6, 10),
    },
    "qingming": {
        2025: (4, 4),
        2026: (4, 5),
        2027: (4, 5),
        2028: (4, 4),
        2029: (4, 4),
        2030: (4, 5),
        2031: (4, 5),
        2032: (4, 4),
        2033: (4, 4),
        2034: (4, 5),
        2035: (4, 5),
    },
    "double_ninth": {
        2025: (10, 29),
        2026: (10, 18),
        2027: (10, 8),
        2028: (10, 26),
        2029: (10, 16),
        2030: (10, 5),
        2031: (10, 24),
        2032: (10, 12),
        2033: (10, 1),
        2034: (10, 20),
        2035: (10, 9),
    },
    "little_new_year": {2025: (1, 22), 2026: (2, 10), 2027: (1, 30)},
    "new_year": {y: (1, 1) for y in range(2025, 2036)},
    "labour_day": {y: (5, 1) for y in range(2025, 2036)},
    "national_day": {y: (10, 1) for y in range(2025, 2036)},
}
YEARS = range(2025, 2036)


@pytest.mark.parametrize(
    ("festival", "year", "month_day"),
    [(f, y, md) for f, table in PUBLISHED.items() for y, md in table.items()],
)
def test_published_festival_dates(festival: str, year: int, month_day: tuple[int, int]) -> None:
    assert festival_date(Festival(festival), year) == date(year, *month_day)


@pytest.mark.parametrize("year", YEARS)
def test_lantern_is_lunar_1_15(year: int) -> None:
    spring = festival_date(Festival.spring_festival, year)
    assert festival_date(Festival.lantern, year) == spring + timedelta(days=14)


@pytest.mark.parametrize("year", YEARS)
def test_little_new_year_is_lunar_12_23_computed_not_offset(year: int) -> None:
    day = festival_date(Festival.little_new_year, year)
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    assert (lunar.getMonth(), lunar.getDay()) == (12, 23)
    assert (festival_date(Festival.spring_festival, year) - day).days in (7, 8)


def test_little_new_year_gap_varies() -> None:
    gaps = {
        (
            festival_date(Festival.spring_festival, y) - festival_date(Festival.little_new_year, y)
        ).days
        for y in range(2020, 2040)
    }
    assert gaps == {7, 8}


def test_range_limits() -> None:
    assert festival_date(Festival.spring_festival, 1901) == date(1901, 2, 19)
    assert festival_date(Festival.spring_festival, 2099) == date(2099, 1, 21)
    assert festival_date(Festival.little_new_year, 1901) == date(1901, 2, 11)
    for year in (1900, 2100):
        with pytest.raises(ValueError, match="1901"):
            festival_date(Festival.spring_festival, year)


def test_nearest_festival_to_a_window() -> None:
    spring = nearest_festival_date(Festival.spring_festival, date(2027, 1, 30), date(2027, 2, 20))
    assert spring == date(2027, 2, 6)
    autumn = nearest_festival_date(Festival.mid_autumn, date(2027, 9, 1), date(2027, 9, 5))
    assert autumn == date(2027, 9, 15)
