"""Commands on payments: a charge against a case or a violation, the gateway's settlement,
refunds and cancellations. Fees and fines are requested by the case and violation commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.errors import InvalidInput
from domain.model.case import Case
from domain.model.payment import Payment, check_payer
from domain.model.violation import Violation
from domain.services.base import CREATED, Commands, Outcome, Target, _id
from domain.store.records import IdempotencyRequest


def payment_body(payment: Payment) -> dict[str, Any]:
    return {"payment_id": str(payment.id), "status": payment.status, "version": payment.version}


PAYMENT = Target(Payment, lambda payment_id: _id(payment_id, "payment_id"), payment_body)


class PaymentCommands(Commands):
    def request_charge(
        self,
        *,
        amount_fen: int,
        payer_party_id: str,
        due_date: date,
        actor: dict,
        case_id: UUID | str | None = None,
        violation_id: UUID | str | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """A charge against a case or a violation, billed to its applicant or party (422 on
        `payer_party_id` otherwise); one open fee or charge per case."""
        if (case_id is None) == (violation_id is None):
            raise InvalidInput("reference", "name exactly one of case_id or violation_id")

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            owner: Case | Violation
            if case_id is not None:
                owner = self._load(Case, _id(case_id, "reference.case_id"))
                if owner.applicant is None:  # destroyed: nobody to bill
                    owner.check_not_final("request a payment for")
                party = owner.applicant
                check_payer(payer_party_id, party, "case")
                for link in owner.payments:
                    if link["kind"] in ("fee", "charge"):
                        self._load(Payment, UUID(link["payment_id"])).check_conflict_free()
            else:
                owner = self._load(Violation, _id(violation_id, "reference.violation_id"))
                party = owner.party
                check_payer(payer_party_id, party, "violation")
            payment = Payment.request(
                kind="charge",
                amount_fen=amount_fen,
                payer_party_id=payer_party_id,
                payer_name=party.get("name") or "",
                case_id=owner.id if isinstance(owner, Case) else None,
                violation_id=owner.id if isinstance(owner, Violation) else None,
                due_date=due_date,
                department=owner.department,
                region_code=owner.region_code,
                actor=actor,
                timestamp=now,
            )
            if isinstance(owner, Case):
                owner.link_payment(
                    payment_id=payment.id,
                    kind="charge",
                    amount_fen=amount_fen,
                    actor=actor,
                    timestamp=now,
                )
                return [payment, owner]
            return [payment]

        return self._run(build, payment_body, status=CREATED, idempotency=idempotency)

    def settle_payment(
        self,
        *,
        payment_id: UUID | str,
        channel: str,
        transaction_ref: str,
        amount_fen: int,
        actor: dict,
        fee_fen: int | None = None,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """The gateway's confirmation; the same transaction again appends nothing."""
        repeated: list[bool] = []

        def act(payment: Payment, tx: Tx, now: datetime) -> list:
            new = payment.settle(
                channel=channel,
                transaction_ref=transaction_ref,
                amount_fen=amount_fen,
                fee_fen=fee_fen,
                actor=actor,
                timestamp=now,
            )
            repeated.append(not new)
            return []

        def body(payment: Payment) -> dict[str, Any]:
            answer = payment_body(payment)
            if repeated and repeated[-1]:
                answer.update(version=payment.settled_version, repeated=True)
            return answer

        return self._transition(
            PAYMENT,
            payment_id,
            act,
            body=body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def refund_payment(
        self,
        *,
        payment_id: UUID | str,
        amount_fen: int,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            PAYMENT,
            payment_id,
            lambda payment, now: payment.refund(
                amount_fen=amount_fen, reason=reason, actor=actor, timestamp=now
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def cancel_payment(
        self,
        *,
        payment_id: UUID | str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            PAYMENT,
            payment_id,
            lambda payment, now: payment.cancel(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )
