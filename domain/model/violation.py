"""A violation (a penalty case): recorded, fine requested, contested, resolved.

Resolving it as ``annulled`` makes the application service cancel the unpaid fine or
refund the paid one; the violation itself only records the outcome.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.errors import Conflict, IllegalTransition, InvalidInput
from domain.identifiers import validate_region_code
from domain.model.base import (
    CasetrackAggregate,
    check_aware,
    optional_text,
    required_text,
    utcnow,
    validate_party,
)

RECORDED = "recorded"
FINE_REQUESTED = "fine_requested"
CONTESTED = "contested"
RESOLVED = "resolved"
STATUSES = (RECORDED, FINE_REQUESTED, CONTESTED, RESOLVED)
OUTCOMES = ("upheld", "annulled")


class Violation(CasetrackAggregate):
    record_name = "violation"
    final_statuses = (RESOLVED,)

    @classmethod
    def record(
        cls,
        *,
        party: dict,
        description: str,
        location: str,
        region_code: str,
        occurred_at: datetime,
        fine_fen: int,
        legal_basis: str,
        department: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Violation:
        timestamp = timestamp or utcnow()
        check_aware(occurred_at, "occurred_at")
        if occurred_at is None or occurred_at > timestamp:
            raise InvalidInput("occurred_at", "must be a past date and time with an offset")
        if not isinstance(fine_fen, int) or isinstance(fine_fen, bool) or fine_fen < 0:
            raise InvalidInput("fine_fen", "must be a whole number of fen, 0 or more")
        return cls(
            party=validate_party(party, field="party", name_required=False),
            description=required_text(description, "description"),
            location=required_text(location, "location", max_len=500),
            region_code=validate_region_code(region_code),
            occurred_at=occurred_at,
            fine_fen=fine_fen,
            legal_basis=required_text(legal_basis, "legal_basis"),
            department=department,
            actor=actor,
            timestamp=timestamp,
        )

    @event("ViolationRecorded")
    def __init__(
        self,
        *,
        party: dict,
        description: str,
        location: str,
        region_code: str,
        occurred_at: datetime,
        fine_fen: int,
        legal_basis: str,
        department: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.party = party
        self.description = description
        self.location = location
        self.region_code = region_code
        self.occurred_at = occurred_at
        self.fine_fen = fine_fen
        self.legal_basis = legal_basis
        self.department = department
        self.status = RECORDED
        self.fine_payment_id: UUID | None = None
        self.contest_reason = ""
        self.outcome: str | None = None
        self.resolution_reason = ""

    def request_fine(
        self, *, payment_id: UUID, actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_status("request the fine of", RECORDED, why="the fine was already requested")
        if self.fine_fen <= 0:
            raise Conflict("This violation carries no fine.")
        self._fine_requested(
            payment_id=payment_id, amount_fen=self.fine_fen, actor=actor, timestamp=timestamp
        )

    @event("ViolationFineRequested")
    def _fine_requested(
        self, payment_id: UUID, amount_fen: int, actor: dict, timestamp: datetime | None
    ) -> None:
        self.status = FINE_REQUESTED
        self.fine_payment_id = payment_id

    def contest(self, *, reason: str, actor: dict, timestamp: datetime | None = None) -> None:
        if self.status == CONTESTED:
            raise IllegalTransition(
                record=self.record_name,
                action="contest",
                status=self.status,
                why="it is already contested",
            )
        self.check_status("contest", RECORDED, FINE_REQUESTED, why="it is resolved")
        self._contested(reason=required_text(reason, "reason"), actor=actor, timestamp=timestamp)

    @event("ViolationContested")
    def _contested(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = CONTESTED
        self.contest_reason = reason

    def resolve(
        self, *, outcome: str, reason: str = "", actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_not_final("resolve")
        if outcome not in OUTCOMES:
            raise InvalidInput("outcome", "must be upheld or annulled")
        reason = (required_text if outcome == "annulled" else optional_text)(reason, "reason")
        self._resolved(outcome=outcome, reason=reason, actor=actor, timestamp=timestamp)

    @event("ViolationResolved")
    def _resolved(self, outcome: str, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = RESOLVED
        self.outcome = outcome
        self.resolution_reason = reason

    @property
    def party_id(self) -> str:
        return self.party["party_id"]
