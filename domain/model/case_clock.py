"""The case's clock: its deadlines, in working days in Asia/Shanghai.

Deadlines count working days from the day of acceptance. They are computed by the command
and recorded in the event with the calendar version that computed them, so a later
calendar correction never changes a recorded deadline on replay. Suspension stops the
clock (the remaining working days are kept); resumption restarts it from the day of
resumption; an extension moves the statutory deadline only. A transfer to another department
(转办) resets the clock: the receiving department's own acceptance starts it afresh
(docs/design.md, "Transfer of a case"). Overdue is a function of the clock
(``Case.is_overdue(now)``), never an event.

Each ``on_*`` function answers the deadline fields of one event of
:class:`domain.model.case.Case`; the aggregate guards, then records them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.calendar import WorkingCalendar, shanghai_date
from domain.errors import InvalidInput

MAX_EXTENSION_DAYS = 60


def on_acceptance(
    calendar: WorkingCalendar, today: date, *, promised_days: int, statutory_days: int
) -> dict[str, Any]:
    promised = calendar.deadline(today, promised_days)
    statutory = calendar.deadline(today, statutory_days)
    return {
        "accepted_on": today,
        "promised_due": promised.due,
        "statutory_due": statutory.due,
        "calendar_version": statutory.calendar_version,
    }


def on_suspension(
    calendar: WorkingCalendar, today: date, *, promised_due: date, statutory_due: date
) -> dict[str, Any]:
    """The clock stops: what remains of each deadline is kept."""
    return {
        "suspended_on": today,
        "promised_remaining": calendar.working_days_between(today, promised_due),
        "statutory_remaining": calendar.working_days_between(today, statutory_due),
    }


def on_resumption(
    calendar: WorkingCalendar, today: date, *, promised_remaining: int, statutory_remaining: int
) -> dict[str, Any]:
    """The clock restarts from the day of resumption with the days that remained."""
    statutory = calendar.deadline(today, statutory_remaining)
    return {
        "resumed_on": today,
        "promised_due": calendar.add_working_days(today, promised_remaining),
        "statutory_due": statutory.due,
        "calendar_version": statutory.calendar_version,
    }


def on_extension(
    calendar: WorkingCalendar, *, statutory_due: date | None, days: int, suspended: bool
) -> dict[str, Any]:
    """The statutory deadline moves by ``days`` working days; while the clock is stopped
    there is no deadline to move (None): the days join the remaining ones."""
    if suspended:
        return {"statutory_due": None, "calendar_version": None}
    assert statutory_due is not None
    deadline = calendar.deadline(statutory_due, days)
    return {"statutory_due": deadline.due, "calendar_version": deadline.calendar_version}


def on_transfer() -> dict[str, Any]:
    """The case's clock fields after a transfer: no acceptance, no deadline, no suspension,
    no extension. The receiving department accepts (or refuses) the case itself, and its
    acceptance sets new deadlines from that day with the item's full working days."""
    return {
        "accepted_on": None,
        "promised_due": None,
        "statutory_due": None,
        "calendar_version": None,
        "suspended_on": None,
        "promised_remaining": None,
        "statutory_remaining": None,
        "extended_days": 0,
    }


def check_extension_days(days: Any) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            "days", f"must be a whole number of working days from 1 to {MAX_EXTENSION_DAYS}"
        )
    return days


def is_past(now: datetime, due: date | None) -> bool:
    """Is ``now`` (in Asia/Shanghai) a day after ``due``?"""
    return due is not None and shanghai_date(now) > due
