"""Commands on a case, from submission to its conclusion. Side aggregates join the case's
commit: the fee on acceptance, the licence on approval, the cancellations on withdrawal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.calendar import shanghai_date
from domain.errors import InvalidInput, NotFound
from domain.identifiers import case_number, covers, licence_number
from domain.model import case_transfer
from domain.model.case import Case
from domain.model.licence import Licence
from domain.model.payment import PARTIALLY_REFUNDED, REQUESTED, SETTLED, Payment
from domain.model.retention import DESTROY
from domain.model.service_item import ServiceItem, item_id, validate_item_code
from domain.services.base import CREATED, OK, Commands, Outcome, Target, _id
from domain.store.records import IdempotencyRequest

# A fee is due this many working days after acceptance.
FEE_DUE_WORKING_DAYS = 10


def case_body(case: Case) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "case_number": case.case_number,
        "status": case.status,
        "version": case.version,
    }


CASE = Target(Case, lambda case_id: _id(case_id, "case_id"), case_body)


def schedule_archive(tx: Tx, case: Case) -> None:
    """A case closed under a destroy rule goes on the archive schedule in its closing commit."""
    if case.archive is not None and case.archive["disposition"] == DESTROY:
        tx.schedule_destruction(case.id, case.archive["action_date"])


def _catalogue_item(tx: Tx, code: str) -> ServiceItem | None:
    """An item the command reads (current in its transaction, never changed by it)."""
    item = tx.reference(item_id(code))
    return item if isinstance(item, ServiceItem) else None


class CaseCommands(Commands):
    def submit_case(
        self,
        *,
        item_code: str,
        applicant: dict,
        channel: str,
        actor: dict,
        materials: list | None = None,
        form: dict | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        validate_item_code(item_code, field="item_code")

        def build(tx: Tx) -> Sequence[Aggregate]:
            item = tx.reference(item_id(item_code))
            if not isinstance(item, ServiceItem):
                raise InvalidInput("item_code", f"there is no service item {item_code}")
            item.check_takes_cases()
            now = self.clock()
            year = shanghai_date(now).year
            number = case_number(
                year, item.region_code, tx.next_number("case", year, item.region_code)
            )
            case = Case.submit(
                case_number=number,
                item=item.case_terms(),
                department=item.department,
                applicant=applicant,
                channel=channel,
                materials=materials,
                form=form,
                actor=actor,
                timestamp=now,
            )
            return [case]

        return self._run(build, case_body, status=CREATED, idempotency=idempotency)

    def request_materials(
        self,
        *,
        case_id: UUID | str,
        codes: list[str],
        actor: dict,
        note: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.request_materials(
                codes=codes, note=note, actor=actor, timestamp=now
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def supplement_materials(
        self,
        *,
        case_id: UUID | str,
        materials: list,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.supplement_materials(
                materials=materials, actor=actor, timestamp=now
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def accept_case(
        self,
        *,
        case_id: UUID | str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Accept; when the item has a fee, request it in the same commit (unless the case
        has it already: accepted again after a transfer, the fee it had follows it)."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.accept(actor=actor, timestamp=now, calendar=self.calendar)
            if case.item["fee_fen"] <= 0 or case.fee_payment_id is not None:
                return []
            fee = Payment.request(
                kind="fee",
                amount_fen=case.item["fee_fen"],
                payer_party_id=case.applicant["party_id"],
                payer_name=case.applicant["name"],
                case_id=case.id,
                due_date=self.calendar.add_working_days(shanghai_date(now), FEE_DUE_WORKING_DAYS),
                department=case.department,
                region_code=case.region_code,
                actor=actor,
                timestamp=now,
            )
            case.link_payment(
                payment_id=fee.id, kind="fee", amount_fen=fee.amount_fen, actor=actor, timestamp=now
            )
            return [fee]

        def body(case: Case) -> dict[str, Any]:
            fee_id = case.fee_payment_id
            return {**case_body(case), "payment_id": str(fee_id) if fee_id else None}

        return self._transition(
            CASE,
            case_id,
            act,
            body=body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def reject_acceptance(
        self,
        *,
        case_id: UUID | str,
        reason: str,
        actor: dict,
        legal_basis: Any = None,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """``legal_basis``: text or {law, article}; required."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.reject_acceptance(
                reason=reason, legal_basis=legal_basis, actor=actor, timestamp=now
            )
            schedule_archive(tx, case)
            return []

        return self._transition(
            CASE, case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    def assign_case(
        self,
        *,
        case_id: UUID | str,
        clerk_sub: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.assign(clerk_sub=clerk_sub, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def suspend_case(
        self,
        *,
        case_id: UUID | str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.suspend(
                reason=reason, actor=actor, timestamp=now, calendar=self.calendar
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def resume_case(
        self,
        *,
        case_id: UUID | str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.resume(actor=actor, timestamp=now, calendar=self.calendar),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def extend_case(
        self,
        *,
        case_id: UUID | str,
        days: int,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.extend(
                days=days, reason=reason, actor=actor, timestamp=now, calendar=self.calendar
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def decide_case(
        self,
        *,
        case_id: UUID | str,
        outcome: str,
        actor: dict,
        reasons: str = "",
        legal_basis: Any = None,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Decide; approval of an item with a licence type issues the licence at once."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            fee_settled = False
            if case.fee_payment_id is not None:
                fee = self._load(Payment, case.fee_payment_id)
                fee_settled = fee.status in (SETTLED, PARTIALLY_REFUNDED)
            licence: Licence | None = None
            licence_type = case.item.get("licence_type")
            if outcome == "approved" and licence_type and case.status == "accepted":
                year = shanghai_date(now).year
                number = licence_number(
                    year, case.region_code, tx.next_number("licence", year, case.region_code)
                )
                licence = Licence.issue(
                    number=number,
                    holder=case.applicant,
                    item_code=case.item["code"],
                    item_name=case.item["name"],
                    licence_type=licence_type,
                    case_id=case.id,
                    valid_days=case.item.get("licence_valid_days"),
                    department=case.department,
                    region_code=case.region_code,
                    actor=actor,
                    timestamp=now,
                )
            case.decide(
                outcome=outcome,
                reasons=reasons,
                legal_basis=legal_basis,
                fee_settled=fee_settled,
                licence_id=licence.id if licence else None,
                licence_number=licence.number if licence else None,
                actor=actor,
                timestamp=now,
            )
            schedule_archive(tx, case)
            return [licence] if licence else []

        return self._transition(
            CASE,
            case_id,
            act,
            body=lambda case: {**case_body(case), "licence_number": case.licence_number},
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def transfer_case(
        self,
        *,
        case_id: UUID | str,
        department: str,
        region_code: str,
        reason: str,
        actor: dict,
        holder: tuple[str | None, str | None],
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Transfer an open case (转办) to ``department`` in ``region_code``; its payments
        follow it in the same commit (docs/design.md, "Transfer of a case").

        ``holder`` is the acting clerk's (department, region code): the case must be theirs,
        else 404. It is checked here, inside the commit, rather than by the API beforehand,
        so that a retry of a completed transfer (the case no longer theirs) still answers its
        stored result."""
        aggregate_id = _id(case_id, "case_id")
        case_transfer.check_destination(department, region_code)

        def build(tx: Tx) -> Sequence[Aggregate]:
            case = self._load(Case, aggregate_id)
            scope_department, scope_region = holder
            if case.department != scope_department or not covers(
                scope_region or "", case.region_code
            ):
                raise NotFound(record=case.record_name, identifier=aggregate_id)
            self._check_version(case, expected_version)
            case_transfer.check_transferable(case, department, region_code)
            item = case_transfer.receiving_item(
                case_transfer.handled_as(case),
                department,
                region_code,
                lambda code: _catalogue_item(tx, code),
            )
            now = self.clock()
            case.transfer(
                department=department,
                region_code=region_code,
                item_code=item.code,
                reason=reason,
                actor=actor,
                timestamp=now,
            )
            payments = [self._load(Payment, UUID(link["payment_id"])) for link in case.payments]
            for payment in payments:
                payment.follow_case(
                    department=department, region_code=region_code, actor=actor, timestamp=now
                )
            return [case, *payments]

        return self._run(build, case_body, status=OK, idempotency=idempotency)

    def withdraw_case(
        self,
        *,
        case_id: UUID | str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Withdraw; the case's unpaid payments are cancelled in the same commit."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.withdraw(reason=reason, actor=actor, timestamp=now)
            schedule_archive(tx, case)
            cancelled = []
            for link in case.payments:
                payment = self._load(Payment, UUID(link["payment_id"]))
                if payment.status == REQUESTED:
                    payment.cancel(reason="申请已撤回 (case withdrawn)", actor=actor, timestamp=now)
                    cancelled.append(payment)
            return cancelled

        return self._transition(
            CASE, case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    def rate_case(
        self,
        *,
        case_id: UUID | str,
        score: int,
        actor: dict,
        comment: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            CASE,
            case_id,
            lambda case, now: case.rate(score=score, comment=comment, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )
