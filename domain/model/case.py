"""A case: one application for one service item, from submission to its conclusion.

Statuses (docs/api.md): submitted, materials_requested, accepted, suspended, and the final
approved, rejected, refused (not accepted) and withdrawn; a closed case whose retention ended
is destroyed (``retention.py``). Deadlines (working days from acceptance): ``case_clock.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.calendar import DEFAULT_CALENDAR, WorkingCalendar, shanghai_date
from domain.errors import Conflict, FeeNotSettled, IllegalTransition, InvalidInput, MaterialsMissing
from domain.model import case_clock, case_transfer
from domain.model.base import (
    CasetrackAggregate,
    DomainEvent,
    optional_text,
    required_text,
    utcnow,
    validate_party,
)
from domain.model.case_reading import CaseReading
from domain.model.retention import derive_archive, forget_person, no_archive, tombstone
from domain.model.submission import check_rating, validate_materials, validate_submission

SUBMITTED = "submitted"
MATERIALS_REQUESTED = "materials_requested"
ACCEPTED = "accepted"
SUSPENDED = "suspended"
APPROVED = "approved"
REJECTED = "rejected"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
DESTROYED = "destroyed"  # a closed case whose retention ended: only its tombstone is left

OPEN_STATUSES = (SUBMITTED, MATERIALS_REQUESTED, ACCEPTED, SUSPENDED)
FINAL_STATUSES = (APPROVED, REJECTED, REFUSED, WITHDRAWN)
STATUSES = OPEN_STATUSES + FINAL_STATUSES
DECIDED_STATUSES = (APPROVED, REJECTED, REFUSED)
# The clock runs (a deadline can pass) while a case is accepted or materials are requested.
RUNNING_STATUSES = (ACCEPTED, MATERIALS_REQUESTED)
OUTCOMES = (APPROVED, REJECTED)


class Case(CaseReading, CasetrackAggregate):
    record_name = "case"
    open_statuses, running_statuses = OPEN_STATUSES, RUNNING_STATUSES
    final_statuses = (*FINAL_STATUSES, DESTROYED)
    archive: dict | None = None  # a snapshot from before retention rules has none

    class Event(DomainEvent):
        def apply(self, aggregate: Any) -> None:
            step = {"step": type(self).__name__, "at": self.timestamp}
            role, subject = self.actor.get("role"), self.actor.get("subject")
            aggregate.timeline.append({**step, "role": role, "subject": subject})

    class Closed(Event):
        """v2 of the closing events: they record the archive (domain/model/retention.py)."""

        class_version = 2
        archive: dict | None
        upcast_v1_v2 = staticmethod(no_archive)

    class CaseRefused(Closed):
        reason: str

    class CaseDecided(Closed):
        outcome: str
        reasons: str
        legal_basis: str
        licence_id: UUID | None
        licence_number: str | None

    class CaseWithdrawn(Closed):
        reason: str

    # --- creation -----------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        case_number: str,
        item: dict,
        department: str,
        applicant: dict,
        channel: str,
        materials: list | None = None,
        form: dict | None = None,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Case:
        """``item`` is ``ServiceItem.case_terms()``: the terms the case keeps."""
        clean_materials, form = validate_submission(item, channel, materials, form)
        return cls(
            case_number=case_number,
            item=item,
            department=department,
            region_code=item["region_code"],
            applicant=validate_party(applicant),
            channel=channel,
            materials=clean_materials,
            form=form,
            actor=actor,
            timestamp=timestamp,
        )

    @event("CaseSubmitted")
    def __init__(
        self,
        *,
        case_number: str,
        item: dict,
        department: str,
        region_code: str,
        applicant: dict,
        channel: str,
        materials: list,
        form: dict,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.case_number = case_number
        self.item = item
        self.department = department
        self.region_code = region_code
        self.applicant = applicant
        self.channel = channel
        self.materials = {m["code"]: m["document_ref"] for m in materials}
        self.form = form
        self.status = SUBMITTED
        self.submitted_at = timestamp
        self.status_before_request: str | None = None
        self.requested_materials: list[str] = []
        self.assigned_to: str | None = None
        self.accepted_on: date | None = None
        self.promised_due: date | None = None
        self.statutory_due: date | None = None
        self.calendar_version: str | None = None
        self.suspended_on: date | None = None
        self.promised_remaining: int | None = None
        self.statutory_remaining: int | None = None
        self.extended_days = 0
        self.decision: dict | None = None
        self.decided_on: date | None = None
        self.licence_id: UUID | None = None
        self.licence_number: str | None = None
        self.payments: list[dict] = []
        self.fee_payment_id: UUID | None = None
        self.rating: dict | None = None
        self.closing_reason = ""
        self.timeline: list[dict] = []

    # --- materials ----------------------------------------------------------------------

    def request_materials(
        self, *, codes: list[str], note: str = "", actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_status(
            "request materials for",
            SUBMITTED,
            ACCEPTED,
            why="materials can be requested only of a submitted or accepted case",
        )
        known = self.material_codes
        if not isinstance(codes, list) or not codes:
            raise InvalidInput("codes", "name at least one material")
        for i, code in enumerate(codes):
            if code not in known:
                raise InvalidInput(
                    f"codes[{i}]", f"'{code}' is not a material of this service item"
                )
        self._materials_requested(
            codes=list(dict.fromkeys(codes)),
            note=optional_text(note, "note"),
            actor=actor,
            timestamp=timestamp,
        )

    @event("CaseMaterialsRequested")
    def _materials_requested(
        self, codes: list, note: str, actor: dict, timestamp: datetime | None
    ) -> None:
        self.status_before_request = self.status
        self.status = MATERIALS_REQUESTED
        self.requested_materials = codes

    def supplement_materials(
        self, *, materials: list, actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_status(
            "supplement materials for",
            MATERIALS_REQUESTED,
            why="materials are supplemented only after a request",
        )
        clean = validate_materials(materials, self.material_codes)
        if not clean:
            raise InvalidInput("materials", "supply at least one material")
        self._materials_supplemented(materials=clean, actor=actor, timestamp=timestamp)

    @event("CaseMaterialsSupplemented")
    def _materials_supplemented(
        self, materials: list, actor: dict, timestamp: datetime | None
    ) -> None:
        for m in materials:
            self.materials[m["code"]] = m["document_ref"]
        self.status = self.status_before_request or SUBMITTED
        self.status_before_request = None
        self.requested_materials = []

    # --- acceptance ---------------------------------------------------------------------

    def accept(
        self,
        *,
        actor: dict,
        timestamp: datetime | None = None,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        self.check_status("accept", SUBMITTED)
        missing = self.missing_materials
        if missing:
            raise MaterialsMissing(missing)
        timestamp = timestamp or utcnow()
        deadlines = case_clock.on_acceptance(
            calendar,
            shanghai_date(timestamp),
            promised_days=self.item["promised_days"],
            statutory_days=self.item["statutory_days"],
        )
        self._accepted(**deadlines, actor=actor, timestamp=timestamp)

    @event("CaseAccepted")
    def _accepted(
        self,
        accepted_on: date,
        promised_due: date,
        statutory_due: date,
        calendar_version: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.status = ACCEPTED
        self.accepted_on = accepted_on
        self.promised_due = promised_due
        self.statutory_due = statutory_due
        self.calendar_version = calendar_version

    def reject_acceptance(
        self, *, reason: str, actor: dict, timestamp: datetime | None = None
    ) -> None:
        if not (
            self.status == SUBMITTED
            or (self.status == MATERIALS_REQUESTED and self.status_before_request == SUBMITTED)
        ):
            raise IllegalTransition(
                record=self.record_name,
                action="refuse",
                status=self.status,
                why="only a case not yet accepted can be refused",
            )
        reason = required_text(reason, "reason")
        timestamp = timestamp or utcnow()
        archive = self.derive_archive(timestamp)
        self._refused(reason=reason, archive=archive, actor=actor, timestamp=timestamp)

    @event(CaseRefused)
    def _refused(
        self, reason: str, archive: dict | None, actor: dict, timestamp: datetime | None
    ) -> None:
        self.status = REFUSED
        self.closing_reason = reason
        self.decided_on = shanghai_date(timestamp)
        self.archive = archive

    # --- handling -----------------------------------------------------------------------

    def assign(self, *, clerk_sub: str, actor: dict, timestamp: datetime | None = None) -> None:
        self.check_status("assign", *OPEN_STATUSES, why="only an open case can be assigned")
        self._assigned(
            clerk_sub=required_text(clerk_sub, "clerk_sub", max_len=200),
            actor=actor,
            timestamp=timestamp,
        )

    @event("CaseAssigned")
    def _assigned(self, clerk_sub: str, actor: dict, timestamp: datetime | None) -> None:
        self.assigned_to = clerk_sub

    def suspend(
        self,
        *,
        reason: str,
        actor: dict,
        timestamp: datetime | None = None,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        self.check_status("suspend", ACCEPTED, why="only an accepted case can be suspended")
        reason = required_text(reason, "reason")
        timestamp = timestamp or utcnow()
        assert self.promised_due is not None and self.statutory_due is not None
        remaining = case_clock.on_suspension(
            calendar,
            shanghai_date(timestamp),
            promised_due=self.promised_due,
            statutory_due=self.statutory_due,
        )
        self._suspended(reason=reason, **remaining, actor=actor, timestamp=timestamp)

    @event("CaseSuspended")
    def _suspended(
        self,
        reason: str,
        suspended_on: date,
        promised_remaining: int,
        statutory_remaining: int,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.status = SUSPENDED
        self.suspended_on = suspended_on
        self.promised_remaining = promised_remaining
        self.statutory_remaining = statutory_remaining

    def resume(
        self,
        *,
        actor: dict,
        timestamp: datetime | None = None,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        self.check_status("resume", SUSPENDED, why="only a suspended case can be resumed")
        timestamp = timestamp or utcnow()
        assert self.promised_remaining is not None and self.statutory_remaining is not None
        deadlines = case_clock.on_resumption(
            calendar,
            shanghai_date(timestamp),
            promised_remaining=self.promised_remaining,
            statutory_remaining=self.statutory_remaining,
        )
        self._resumed(**deadlines, actor=actor, timestamp=timestamp)

    @event("CaseResumed")
    def _resumed(
        self,
        resumed_on: date,
        promised_due: date,
        statutory_due: date,
        calendar_version: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.status = ACCEPTED
        self.promised_due = promised_due
        self.statutory_due = statutory_due
        self.calendar_version = calendar_version
        self.suspended_on = None
        self.promised_remaining = None
        self.statutory_remaining = None

    def extend(
        self,
        *,
        days: int,
        reason: str,
        actor: dict,
        timestamp: datetime | None = None,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        self.check_status(
            "extend", ACCEPTED, SUSPENDED, why="only an accepted case has a deadline to extend"
        )
        days = case_clock.check_extension_days(days)
        reason = required_text(reason, "reason")
        deadline = case_clock.on_extension(
            calendar,
            statutory_due=self.statutory_due,
            days=days,
            suspended=self.status == SUSPENDED,
        )
        self._extended(days=days, reason=reason, **deadline, actor=actor, timestamp=timestamp)

    @event("CaseExtended")
    def _extended(
        self,
        days: int,
        reason: str,
        statutory_due: date | None,
        calendar_version: str | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.extended_days += days
        if statutory_due is None:
            self.statutory_remaining = (self.statutory_remaining or 0) + days
        else:
            self.statutory_due = statutory_due
            self.calendar_version = calendar_version

    # --- transfer (转办: the rules are domain/model/case_transfer.py) ----------------------

    def transfer(
        self,
        *,
        department: str,
        region_code: str,
        item_code: str,
        reason: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        """Hand the open case to ``department`` in ``region_code``, which offers its item as
        ``item_code``; it awaits their acceptance, which restarts the clock."""
        self._transferred(
            moved_from=case_transfer.check_transferable(self, department, region_code),
            department=department,
            region_code=region_code,
            item_code=item_code,
            reason=required_text(reason, "reason"),
            actor=actor,
            timestamp=timestamp,
        )

    @event("CaseTransferred")
    def _transferred(
        self,
        moved_from: dict,
        department: str,
        region_code: str,
        item_code: str,
        reason: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.department, self.region_code, self.handled_as = department, region_code, item_code
        self.status, self.status_before_request = SUBMITTED, None
        self.requested_materials, self.assigned_to = [], None
        vars(self).update(case_clock.on_transfer())

    # --- payments -----------------------------------------------------------------------

    def link_payment(
        self,
        *,
        payment_id: UUID,
        kind: str,
        amount_fen: int,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        if self.status in (WITHDRAWN, REFUSED, DESTROYED):
            raise IllegalTransition(
                record=self.record_name,
                action="request a payment for",
                status=self.status,
                why="the case was closed without a decision",
            )
        if kind == "fee" and self.fee_payment_id is not None:
            raise Conflict("This case already has its fee payment.")
        self._payment_linked(
            payment_id=payment_id,
            kind=kind,
            amount_fen=amount_fen,
            actor=actor,
            timestamp=timestamp,
        )

    @event("CasePaymentLinked")
    def _payment_linked(
        self, payment_id: UUID, kind: str, amount_fen: int, actor: dict, timestamp: datetime | None
    ) -> None:
        self.payments.append(
            {"payment_id": str(payment_id), "kind": kind, "amount_fen": amount_fen}
        )
        if kind == "fee":
            self.fee_payment_id = payment_id

    # --- conclusion ---------------------------------------------------------------------

    def decide(
        self,
        *,
        outcome: str,
        reasons: str = "",
        legal_basis: str = "",
        fee_settled: bool = False,
        licence_id: UUID | None = None,
        licence_number: str | None = None,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        """``fee_settled``: whether the fee payment (if the item has a fee) is settled."""
        if self.status in (SUBMITTED, MATERIALS_REQUESTED) and self.accepted_on is None:
            raise IllegalTransition(
                record=self.record_name,
                action="decide",
                status=self.status,
                why="a decision comes only after acceptance",
            )
        self.check_status("decide", ACCEPTED, why="only an accepted, running case can be decided")
        if outcome not in OUTCOMES:
            raise InvalidInput("outcome", "must be approved or rejected")
        reasons = (required_text if outcome == REJECTED else optional_text)(reasons, "reasons")
        legal_basis = optional_text(legal_basis, "legal_basis")
        if outcome == APPROVED and self.item["fee_fen"] > 0 and not fee_settled:
            raise FeeNotSettled(str(self.fee_payment_id) if self.fee_payment_id else None)
        if outcome == REJECTED:
            licence_id, licence_number = None, None
        timestamp = timestamp or utcnow()
        self._decided(
            outcome=outcome,
            reasons=reasons,
            legal_basis=legal_basis,
            licence_id=licence_id,
            licence_number=licence_number,
            archive=self.derive_archive(timestamp),
            actor=actor,
            timestamp=timestamp,
        )

    @event(CaseDecided)
    def _decided(
        self,
        outcome: str,
        reasons: str,
        legal_basis: str,
        licence_id: UUID | None,
        licence_number: str | None,
        archive: dict | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.archive = archive
        self.status = outcome
        self.decided_on = shanghai_date(timestamp)
        self.decision = {
            "outcome": outcome,
            "reasons": reasons,
            "legal_basis": legal_basis,
            "decided_at": timestamp,
            "on_time": bool(
                self.decided_on and self.statutory_due and self.decided_on <= self.statutory_due
            ),
        }
        self.licence_id = licence_id
        self.licence_number = licence_number

    def withdraw(self, *, reason: str = "", actor: dict, timestamp: datetime | None = None) -> None:
        if self.status in DECIDED_STATUSES:
            raise IllegalTransition(
                record=self.record_name,
                action="withdraw",
                status=self.status,
                why="a decision has already been made",
            )
        self.check_not_final("withdraw")
        reason = optional_text(reason, "reason")
        timestamp = timestamp or utcnow()
        archive = self.derive_archive(timestamp)
        self._withdrawn(reason=reason, archive=archive, actor=actor, timestamp=timestamp)

    @event(CaseWithdrawn)
    def _withdrawn(
        self, reason: str, archive: dict | None, actor: dict, timestamp: datetime | None
    ) -> None:
        self.status = WITHDRAWN
        self.closing_reason = reason
        self.archive = archive

    # --- retention (docs/design.md, "Retention") ----------------------------------------

    def derive_archive(self, closed_at: datetime) -> dict:
        """Under the item's rule the case was submitted with (else the default rule)."""
        return derive_archive(self.item.get("retention"), closed_at)

    def destroy(self, *, as_of: date, actor: dict, timestamp: datetime | None = None) -> None:
        """Destroy the case if due on ``as_of``: a tombstone without personal data."""
        self._destroyed(**tombstone(self, as_of), actor=actor, timestamp=timestamp)

    @event("CaseDestroyed")
    def _destroyed(self, tombstone: dict, actor: dict, timestamp: datetime | None) -> None:
        self.status = DESTROYED
        forget_person(self)

    def rate(
        self, *, score: int, comment: str = "", actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_status(
            "rate", *DECIDED_STATUSES, why="a case can be rated only after its decision"
        )
        self._rated(**check_rating(self.rating, score, comment), actor=actor, timestamp=timestamp)

    @event("CaseRated")
    def _rated(self, score: int, comment: str, actor: dict, timestamp: datetime | None) -> None:
        self.rating = {"score": score, "comment": comment}
