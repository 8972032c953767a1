"""Working days in Asia/Shanghai on China's official calendar.

Public holidays and make-up working days (调休) come from the ``chinese_calendar`` library
(``chinesecalendar`` package) for the years it knows. For other years we fall back to
plain weekdays plus the override table below, which a release can extend as soon as the
State Council publishes a year's arrangement (usually in November of the year before).
Each deadline records the calendar version that computed it, so a later correction of the
table never silently changes a recorded deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _cc_constants

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class YearOverride:
    """Days off on weekdays and working days on weekends for one year."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    provisional: bool = False


def _days(*isodates: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in isodates)


# Version of the override table; bump it whenever the table changes.
OVERRIDE_VERSION = "2026.1"

# 2027: the statutory days off fixed by the 2024 revision of the national holiday
# regulation (New Year 1, Spring Festival 4, Qingming 1, Labour Day 2, Dragon Boat 1,
# Mid-Autumn 1, National Day 3), on the 2027 lunar dates. The bridging arrangement and its
# make-up working weekends are not yet published, hence "provisional".
OVERRIDES: dict[int, YearOverride] = {
    2027: YearOverride(
        holidays=_days(
            "2027-01-01",
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-04-05",
            "2027-05-01",
            "2027-05-02",
            "2027-06-09",
            "2027-09-15",
            "2027-10-01",
            "2027-10-02",
            "2027-10-03",
        ),
        provisional=True,
    ),
}


def _library_years() -> range:
    years = [d.year for d in _cc_constants.holidays] + [d.year for d in _cc_constants.workdays]
    return range(min(years), max(years) + 1)


def shanghai_date(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(SHANGHAI).date()


def shanghai_year(moment: datetime) -> int:
    return shanghai_date(moment).year


@dataclass(frozen=True)
class Deadline:
    due: date
    calendar_version: str


_REMEMBERED = 10_000  # (start, n) answers a calendar keeps


class WorkingCalendar:
    """Working-day arithmetic; one instance per (library, override table) pair."""

    def __init__(
        self,
        overrides: Mapping[int, YearOverride] | None = None,
        *,
        override_version: str = OVERRIDE_VERSION,
        library_years: Iterable[int] | None = None,
    ) -> None:
        self.overrides = dict(OVERRIDES if overrides is None else overrides)
        self.override_version = override_version
        self.library_years = frozenset(
            library_years if library_years is not None else _library_years()
        )
        self.library_version = f"chinese_calendar-{chinese_calendar.__version__}"
        self._added: dict[tuple[date, int], date] = {}

    def source_of(self, year: int) -> str:
        """'library', 'override' or 'weekdays': what decides the days of ``year``."""
        if year in self.overrides:
            return "override"
        if year in self.library_years:
            return "library"
        return "weekdays"

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.workdays:
                return True
            if day in override.holidays:
                return False
            return day.weekday() < 5
        if day.year in self.library_years:
            # chinese_calendar.is_workday's own rule; the function itself takes min() and max()
            # over every holiday it knows on each call (most of a command's accept time).
            return day in _cc_constants.workdays or (
                day.weekday() < 5 and day not in _cc_constants.holidays
            )
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (n = 0: ``start`` itself; n < 0: before).

        Remembered per (start, n): the calendar never changes once built, and every command
        on a day asks the same few time limits (an acceptance: two of 20 days or more)."""
        known = self._added.get((start, n))
        if known is None:
            if len(self._added) >= _REMEMBERED:
                self._added.clear()
            known = self._added[(start, n)] = self._add_working_days(start, n)
        return known

    def _add_working_days(self, start: date, n: int) -> date:
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def version(self, *days: date) -> str:
        """Which calendar computed a result touching ``days``."""
        sources = {self.source_of(d.year) for d in days}
        parts = []
        if "library" in sources:
            parts.append(self.library_version)
        if "override" in sources:
            provisional = any(
                self.overrides[d.year].provisional for d in days if d.year in self.overrides
            )
            parts.append(f"override-{self.override_version}{'-provisional' if provisional else ''}")
        if "weekdays" in sources:
            parts.append("weekdays")
        return "+".join(parts)

    def deadline(self, start: date, n: int) -> Deadline:
        due = self.add_working_days(start, n)
        return Deadline(due=due, calendar_version=self.version(start, due))


DEFAULT_CALENDAR = WorkingCalendar()


def is_working_day(day: date) -> bool:
    return DEFAULT_CALENDAR.is_working_day(day)


def add_working_days(start_date: date, n: int) -> date:
    return DEFAULT_CALENDAR.add_working_days(start_date, n)


def working_days_between(a: date, b: date) -> int:
    return DEFAULT_CALENDAR.working_days_between(a, b)


def calendar_version(*days: date) -> str:
    return DEFAULT_CALENDAR.version(*days)
