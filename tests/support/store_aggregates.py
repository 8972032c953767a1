"""Small aggregates for the store's tests, independent of the real domain model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, number: int, title: str, fee: Decimal = Decimal("0.00")) -> None:
        self.number = number
        self.title = title
        self.fee = fee
        self.notes: list[str] = []
        self.due: date | None = None

    @event("Noted")
    def note(self, text: str) -> None:
        self.notes.append(text)

    @event("Scheduled")
    def schedule(self, due: date) -> None:
        self.due = due


def open_ticket(tx, title: str = "办理营业执照", region: str = "510100") -> Ticket:
    """A build step as a command would write it: number from a counter, then act."""
    return Ticket(number=tx.next_number("T", 2026, region), title=title)


class Permit(Aggregate):
    class Issued(Aggregate.Created):
        """v1 had only ``holder``; v2 adds ``region_code`` (v1 permits were Chengdu's)."""

        class_version = 2
        holder: str
        region_code: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["region_code"] = "510100"

    @event(Issued)
    def __init__(self, holder: str, region_code: str) -> None:
        self.holder = holder
        self.region_code = region_code


class Listing(Aggregate):
    """Reference data as a service item is: commands read it and do not change it."""

    kept_as_reference = True

    @event("Listed")
    def __init__(self, title: str) -> None:
        self.title = title

    @event("Retitled")
    def retitle(self, title: str) -> None:
        self.title = title
