"""Commands on violations: record one (with its fine), contest it, resolve it (an annulment
cancels the unpaid fine or refunds what was paid, in the same commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.calendar import shanghai_date
from domain.identifiers import party_kind_of
from domain.model.payment import REQUESTED, Payment
from domain.model.service_item import validate_department
from domain.model.violation import Violation
from domain.services.base import CREATED, Commands, Outcome, Target, _id
from domain.store.records import IdempotencyRequest

# A fine is due this many calendar days after the decision (Administrative Penalty Law,
# art. 67: fifteen days).
FINE_DUE_DAYS = 15


def violation_body(violation: Violation) -> dict[str, Any]:
    return {
        "violation_id": str(violation.id),
        "payment_id": str(violation.fine_payment_id) if violation.fine_payment_id else None,
        "status": violation.status,
        "version": violation.version,
    }


VIOLATION = Target(
    Violation, lambda violation_id: _id(violation_id, "violation_id"), violation_body
)


class ViolationCommands(Commands):
    def record_violation(
        self,
        *,
        party_id: str,
        description: str,
        location: str,
        region_code: str,
        occurred_at: datetime,
        fine_fen: int,
        legal_basis: str,
        department: str,
        actor: dict,
        party_name: str = "",
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Record a violation and, when it carries a fine, request the fine with it."""
        validate_department(department)

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            kind = party_kind_of(party_id) if isinstance(party_id, str) else "person"
            violation = Violation.record(
                party={"party_id": party_id, "kind": kind, "name": party_name},
                description=description,
                location=location,
                region_code=region_code,
                occurred_at=occurred_at,
                fine_fen=fine_fen,
                legal_basis=legal_basis,
                department=department,
                actor=actor,
                timestamp=now,
            )
            if fine_fen <= 0:
                return [violation]
            fine = Payment.request(
                kind="fine",
                amount_fen=fine_fen,
                payer_party_id=party_id,
                payer_name=party_name,
                violation_id=violation.id,
                due_date=shanghai_date(now) + timedelta(days=FINE_DUE_DAYS),
                department=department,
                region_code=region_code,
                actor=actor,
                timestamp=now,
            )
            violation.request_fine(payment_id=fine.id, actor=actor, timestamp=now)
            return [violation, fine]

        return self._run(build, violation_body, status=CREATED, idempotency=idempotency)

    def contest_violation(
        self,
        *,
        violation_id: UUID | str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            VIOLATION,
            violation_id,
            lambda violation, now: violation.contest(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def resolve_violation(
        self,
        *,
        violation_id: UUID | str,
        outcome: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Resolve; an annulment cancels the unpaid fine or refunds what was paid."""

        def act(violation: Violation, tx: Tx, now: datetime) -> list:
            violation.resolve(outcome=outcome, reason=reason, actor=actor, timestamp=now)
            if outcome != "annulled" or violation.fine_payment_id is None:
                return []
            fine = self._load(Payment, violation.fine_payment_id)
            why = f"处罚撤销 (annulled): {violation.resolution_reason}"
            if fine.status == REQUESTED:
                fine.cancel(reason=why, actor=actor, timestamp=now)
            elif fine.refundable_fen > 0:
                fine.refund(amount_fen=fine.refundable_fen, reason=why, actor=actor, timestamp=now)
            else:
                return []
            return [fine]

        return self._transition(
            VIOLATION,
            violation_id,
            act,
            expected_version=expected_version,
            idempotency=idempotency,
        )
