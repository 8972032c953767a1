from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from domain.calendar import (
    DEFAULT_CALENDAR,
    WorkingCalendar,
    YearOverride,
    add_working_days,
    is_working_day,
    shanghai_date,
    working_days_between,
)


def test_national_day_holidays_2025_are_not_working_days():
    assert [is_working_day(date(2025, 10, d)) for d in range(1, 9)] == [False] * 8


def test_make_up_working_weekends_2025_are_working_days():
    assert date(2025, 9, 28).weekday() == 6 and is_working_day(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and is_working_day(date(2025, 10, 11))


def test_an_ordinary_weekend_is_not_a_working_day():
    assert not is_working_day(date(2025, 9, 27))


def test_adding_working_days_skips_the_golden_week():
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 29), 5) == date(2025, 10, 13)


def test_adding_working_days_lands_on_a_make_up_sunday():
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)


def test_zero_working_days_is_the_start_day_and_negative_goes_back():
    assert add_working_days(date(2025, 10, 9), 0) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)


def test_working_days_between_counts_the_days_after_start_up_to_end():
    assert working_days_between(date(2025, 9, 29), date(2025, 10, 13)) == 5
    assert working_days_between(date(2025, 10, 13), date(2025, 9, 29)) == -5
    assert working_days_between(date(2025, 10, 1), date(2025, 10, 1)) == 0


@pytest.mark.parametrize("n", [0, 1, 3, 10, 20, 60])
def test_adding_then_counting_gives_back_the_same_number(n):
    start = date(2025, 9, 25)
    assert working_days_between(start, add_working_days(start, n)) == n


def test_a_year_the_library_knows_is_computed_by_the_library():
    deadline = DEFAULT_CALENDAR.deadline(date(2025, 9, 29), 5)
    assert deadline.calendar_version.startswith("chinese_calendar-")
    assert "override" not in deadline.calendar_version


def test_a_year_beyond_the_library_uses_weekdays_plus_the_override_and_says_so():
    assert DEFAULT_CALENDAR.source_of(2027) == "override"
    assert not is_working_day(date(2027, 10, 1))  # a Friday, National Day
    assert is_working_day(date(2027, 10, 4))
    version = DEFAULT_CALENDAR.deadline(date(2027, 9, 28), 3).calendar_version
    assert "override" in version and "provisional" in version


def test_without_any_data_a_year_falls_back_to_plain_weekdays():
    calendar = WorkingCalendar(overrides={}, library_years=[])
    assert calendar.is_working_day(date(2025, 10, 1))
    assert not calendar.is_working_day(date(2025, 9, 28))
    assert calendar.deadline(date(2025, 9, 26), 1).calendar_version == "weekdays"


def test_an_override_takes_precedence_over_the_library():
    calendar = WorkingCalendar(
        overrides={2025: YearOverride(holidays=frozenset({date(2025, 9, 29)}))},
        override_version="test.1",
    )
    assert not calendar.is_working_day(date(2025, 9, 29))
    assert calendar.version(date(2025, 9, 29)) == "override-test.1"


def test_the_day_is_counted_in_asia_shanghai():
    late_utc = datetime(2025, 9, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 October in Shanghai
    assert shanghai_date(late_utc) == date(2025, 10, 1)
    with pytest.raises(ValueError):
        shanghai_date(datetime(2025, 9, 30, 17, 0))
    assert shanghai_date(datetime(2025, 9, 30, 23, 0, tzinfo=timezone(timedelta(hours=8)))) == date(
        2025, 9, 30
    )


def test_the_library_years_are_the_librarys_own_answers_day_by_day() -> None:
    calendar = WorkingCalendar(overrides={})
    years = sorted(calendar.library_years)
    day = date(years[0], 1, 1)
    while day.year <= years[-1]:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
