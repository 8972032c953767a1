"""What a case answers about itself: its materials, whether it is open, overdue or past its
promise, its applicant as staff see it. Mixed into `Case` (``domain/model/case.py``), which
names the statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.model import case_clock
from domain.model.base import mask_party


class CaseReading:
    item: dict
    materials: dict
    status: str
    applicant: dict | None
    statutory_due: Any
    promised_due: Any
    open_statuses: tuple[str, ...]
    running_statuses: tuple[str, ...]  # the clock runs: a deadline can pass

    @property
    def material_codes(self) -> list[str]:
        return [m["code"] for m in self.item["materials"]]

    @property
    def missing_materials(self) -> list[str]:
        return [
            m["code"]
            for m in self.item["materials"]
            if m["required"] and m["code"] not in self.materials
        ]

    @property
    def is_open(self) -> bool:
        return self.status in self.open_statuses

    def is_overdue(self, now: datetime) -> bool:
        """Past the statutory deadline while running (a suspended case's clock is stopped)."""
        return self.status in self.running_statuses and case_clock.is_past(now, self.statutory_due)

    def is_past_promised(self, now: datetime) -> bool:
        return self.status in self.running_statuses and case_clock.is_past(now, self.promised_due)

    def masked_applicant(self) -> dict | None:
        return mask_party(self.applicant)  # None once destroyed
