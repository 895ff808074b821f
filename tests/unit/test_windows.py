from datetime import date, time

import pytest

from reminder.calendar.festivals import Festival
from reminder.calendar.holiday_periods import first_workday_after, holiday_period
from reminder.calendar.windows import DateExpr, parse_date_expr, resolve
from reminder.inputs.campaigns import Campaign
from reminder.planning.occurrences import next_occurrence, occurrences, push_days, send_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-30", DateExpr(fixed=date(2027, 1, 30))),
        (date(2027, 1, 30), DateExpr(fixed=date(2027, 1, 30))),
        ("-3d", DateExpr(anchor="festival", offset=-3)),
        ("+2d", DateExpr(anchor="festival", offset=2)),
        ("festival", DateExpr(anchor="festival")),
        ("little_new_year", DateExpr(anchor="little_new_year")),
        ("lantern+1d", DateExpr(anchor="lantern", offset=1)),
        ("holiday_start - 1d", DateExpr(anchor="holiday_start", offset=-1)),
        ("first_workday_after_holiday", DateExpr(anchor="first_workday_after_holiday")),
    ],
)
def test_date_expressions(text: object, expected: DateExpr) -> None:
    assert parse_date_expr(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "-3", "christmas", "+d", "holiday_end*2"])
def test_bad_date_expressions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date_expr(text)


def test_published_holiday_period_with_swapped_workdays() -> None:
    period = holiday_period(Festival.spring_festival, 2026)
    assert (period.start, period.end, period.provisional) == (
        date(2026, 2, 15),
        date(2026, 2, 23),
        False,
    )
    assert period.swapped_workdays == (date(2026, 2, 14), date(2026, 2, 28))
    assert first_workday_after(period.end) == (date(2026, 2, 24), False)


def test_mid_autumn_joined_with_national_day_when_published() -> None:
    period = holiday_period(Festival.mid_autumn, 2025)
    assert (period.start, period.end) == (date(2025, 10, 1), date(2025, 10, 8))


def test_unpublished_years_follow_the_documented_rule_and_are_provisional() -> None:
    spring = holiday_period(Festival.spring_festival, 2027)
    assert (spring.start, spring.end, spring.provisional) == (
        date(2027, 2, 5),
        date(2027, 2, 12),
        True,
    )
    assert spring.swapped_workdays == ()
    # Mid-Autumn 2027 is a Wednesday: the statutory day alone.
    mid = holiday_period(Festival.mid_autumn, 2027)
    assert (mid.start, mid.end, mid.provisional) == (date(2027, 9, 15), date(2027, 9, 15), True)
    # Mid-Autumn 2028 (3 October) falls in the National Day holiday.
    joined = holiday_period(Festival.mid_autumn, 2028)
    assert (joined.start, joined.end) == (date(2028, 10, 1), date(2028, 10, 7))
    # Dragon Boat 2027 (9 June, Wednesday): no adjacent weekend.
    dragon = holiday_period(Festival.dragon_boat, 2027)
    assert (dragon.start, dragon.end) == (date(2027, 6, 9), date(2027, 6, 9))
    assert holiday_period(Festival.lantern, 2027) is None


def test_resolving_anchors() -> None:
    spring = Festival.spring_festival
    assert resolve(parse_date_expr("little_new_year"), spring, 2027).day == date(2027, 1, 30)
    assert resolve(parse_date_expr("lantern"), spring, 2027).day == date(2027, 2, 20)
    assert resolve(parse_date_expr("-1d"), spring, 2027).day == date(2027, 2, 5)
    end = resolve(parse_date_expr("holiday_end+1d"), spring, 2026)
    assert (end.day, end.provisional) == (date(2026, 2, 24), False)
    after = resolve(parse_date_expr("first_workday_after_holiday"), spring, 2027)
    assert (after.day, after.provisional) == (date(2027, 2, 15), True)
    with pytest.raises(ValueError, match="not a public holiday"):
        resolve(parse_date_expr("holiday_end"), Festival.lantern, 2027)


def campaign(**push: object) -> Campaign:
    return Campaign.model_validate(
        {
            "id": "spring",
            "name": "春节",
            "festival": "spring_festival",
            "window": {"start": "little_new_year", "end": "lantern"},
            "pushes": [{"id": "p", "audience": ["all"], "template": "t.j2", **push}],
        }
    )


def test_a_window_without_a_year_resolves_for_each_year() -> None:
    c = campaign()
    assert (c.window_for(2027).start, c.window_for(2027).end) == (
        date(2027, 1, 30),
        date(2027, 2, 20),
    )
    assert (c.window_for(2028).start, c.window_for(2028).end) == (
        date(2028, 1, 19),
        date(2028, 2, 9),
    )
    assert c.window_containing(date(2027, 2, 1)).year == 2027
    assert c.window_containing(date(2027, 3, 1)) is None


def test_push_days_kinds() -> None:
    window = campaign().window_for(2027)
    daily = campaign()
    assert len(push_days(daily, daily.pushes[0], window)) == 22
    listed = campaign(
        days=["little_new_year", "holiday_start-1d", "first_workday_after_holiday", "+30d"]
    )
    assert list(push_days(listed, listed.pushes[0], window)) == [
        date(2027, 1, 30),
        date(2027, 2, 4),
        date(2027, 2, 15),
    ]  # +30d falls outside
    assert push_days(listed, listed.pushes[0], window)[date(2027, 2, 4)] is True  # provisional
    random_days = campaign(days={"random": 5})
    chosen = push_days(random_days, random_days.pushes[0], window)
    assert len(chosen) == 5 and all(day in window for day in chosen)
    assert chosen == push_days(random_days, random_days.pushes[0], window), "deterministic"


def test_random_time_is_inside_the_range_and_the_same_on_every_run() -> None:
    c = campaign(send_at={"between": ["09:00", "11:30"]})
    times = [send_time(c, c.pushes[0], date(2027, 2, d)) for d in range(1, 20)]
    assert all(time(9, 0) <= t <= time(11, 30) for t in times)
    assert len(set(times)) > 5
    assert times == [send_time(c, c.pushes[0], date(2027, 2, d)) for d in range(1, 20)]


def test_occurrences_and_the_next_one() -> None:
    from datetime import UTC, datetime

    c = campaign(send_at="08:30")
    found = occurrences(c, c.pushes[0], "Asia/Shanghai", date(2027, 2, 19), date(2027, 3, 1))
    assert [o.day for o in found] == [date(2027, 2, 19), date(2027, 2, 20)]
    assert found[0].at.isoformat() == "2027-02-19T08:30:00+08:00"
    after_window = datetime(2027, 2, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    following = next_occurrence(c, c.pushes[0], "Asia/Shanghai", after_window)
    assert following.day == date(2028, 1, 19)
