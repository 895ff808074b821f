from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from reminder.clock import FixedClock, SystemClock, today_in


@freeze_time("2027-02-01 16:30:00")
def test_system_clock_is_aware_utc_and_follows_freezegun() -> None:
    now = SystemClock().now()
    assert now == datetime(2027, 2, 1, 16, 30, tzinfo=UTC)


@freeze_time("2027-02-01 16:30:00")
def test_today_depends_on_the_zone() -> None:
    assert today_in(SystemClock(), "UTC") == date(2027, 2, 1)
    assert today_in(SystemClock(), "Asia/Shanghai") == date(2027, 2, 2)


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2027, 1, 30, tzinfo=UTC))
    clock.advance(timedelta(hours=25))
    assert clock.now() == datetime(2027, 1, 31, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(datetime(2027, 1, 30))
