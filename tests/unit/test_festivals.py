from datetime import date

import pytest

from reminder.festivals import Festival, festival_date, nearest_festival_date

# Published dates (State Council holiday notices and the Purple Mountain Observatory calendar).
PUBLISHED = {
    2025: {
        "spring_festival": date(2025, 1, 29),
        "mid_autumn": date(2025, 10, 6),
        "dragon_boat": date(2025, 5, 31),
        "qingming": date(2025, 4, 4),
        "little_new_year": date(2025, 1, 22),
        "lantern": date(2025, 2, 12),
    },
    2026: {
        "spring_festival": date(2026, 2, 17),
        "mid_autumn": date(2026, 9, 25),
        "dragon_boat": date(2026, 6, 19),
        "qingming": date(2026, 4, 5),
    },
    2027: {
        "spring_festival": date(2027, 2, 6),
        "mid_autumn": date(2027, 9, 15),
        "little_new_year": date(2027, 1, 30),
        "lantern": date(2027, 2, 20),
    },
}


@pytest.mark.parametrize(
    ("year", "festival", "expected"),
    [(y, f, d) for y, days in PUBLISHED.items() for f, d in days.items()],
)
def test_published_festival_dates(year: int, festival: str, expected: date) -> None:
    assert festival_date(Festival(festival), year) == expected


def test_little_new_year_is_computed_not_offset() -> None:
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
    with pytest.raises(ValueError, match="1901"):
        festival_date(Festival.spring_festival, 2100)


def test_nearest_festival_to_a_window() -> None:
    assert nearest_festival_date(
        Festival.spring_festival, date(2027, 1, 30), date(2027, 2, 20)
    ) == date(2027, 2, 6)
    assert nearest_festival_date(Festival.mid_autumn, date(2027, 9, 1), date(2027, 9, 5)) == date(
        2027, 9, 15
    )
