"""The commands of Casetrack (API.md), as methods of the application.

Each command: keyword-only arguments; load what it needs from the event store inside the
write transaction (``build``), check ``expected_version``, act on the aggregates, and
commit all their events at once; it answers a small body (the id field, ``version``,
``position``, ``status``) that is stored with the idempotency key, if one was given.
Who may call what is the API's business; every command records the ``actor`` it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.application import CasetrackApplication, Tx
from domain.calendar import DEFAULT_CALENDAR, WorkingCalendar, shanghai_date
from domain.errors import Duplicate, InvalidInput, NotFound, StaleVersion
from domain.identifiers import case_number, licence_number, party_kind_of
from domain.model.case import Case
from domain.model.licence import Licence, licence_id
from domain.model.payment import PARTIALLY_REFUNDED, REQUESTED, SETTLED, Payment
from domain.model.service_item import ServiceItem, item_id, validate_department, validate_item_code
from domain.model.violation import Violation
from domain.store.records import IdempotencyRequest

CREATED = 201
OK = 200

# A fee is due this many working days after acceptance; a fine this many calendar days
# after the decision (Administrative Penalty Law, art. 67: fifteen days).
FEE_DUE_WORKING_DAYS = 10
FINE_DUE_DAYS = 15


@dataclass(frozen=True)
class Outcome:
    """What a command answers: HTTP-like status, the body, and whether it was replayed
    from a stored idempotent answer (then nothing was appended)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    @property
    def position(self) -> int | None:
        return self.body.get("position")

    @property
    def version(self) -> int | None:
        return self.body.get("version")


def _id(value: Any, field: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(field, "must be a UUID") from None


class Casetrack(CasetrackApplication):
    """The application service of the write side."""

    calendar: WorkingCalendar = DEFAULT_CALENDAR

    # --- plumbing -----------------------------------------------------------------------

    def _load(self, cls: type[Aggregate], aggregate_id: UUID, record: str) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(record=record, identifier=aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(record=record, identifier=aggregate_id)
        return aggregate

    @staticmethod
    def _check_version(aggregate: Any, expected_version: int | None) -> None:
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersion(
                expected=expected_version, current=aggregate.version, record=aggregate.record_name
            )

    def _run(
        self,
        build: Callable[[Tx], Sequence[Aggregate]],
        body: Callable[[Sequence[Any]], dict[str, Any]],
        *,
        status: int,
        idempotency: IdempotencyRequest | None,
    ) -> Outcome:
        def answer(aggregates: Sequence[Any], position: int | None) -> tuple[int, dict]:
            return status, {**body(aggregates), "position": position}

        result = self.commit(build, idempotency=idempotency, answer=answer)
        assert result.status is not None and result.body is not None
        return Outcome(status=result.status, body=dict(result.body), replayed=result.replayed)

    def _transition(
        self,
        cls: type[Aggregate],
        aggregate_id: UUID,
        record: str,
        act: Callable[[Any, Tx, datetime], Sequence[Aggregate]],
        body: Callable[[Any], dict[str, Any]],
        *,
        expected_version: int | None,
        idempotency: IdempotencyRequest | None,
    ) -> Outcome:
        """Load one aggregate, check its version, act (possibly on others too), commit."""

        def build(tx: Tx) -> Sequence[Aggregate]:
            aggregate = self._load(cls, aggregate_id, record)
            self._check_version(aggregate, expected_version)
            others = act(aggregate, tx, self.clock())
            return [aggregate, *others]

        return self._run(build, lambda aggs: body(aggs[0]), status=OK, idempotency=idempotency)

    # --- catalogue ----------------------------------------------------------------------

    @staticmethod
    def _item_body(item: ServiceItem) -> dict[str, Any]:
        return {
            "code": item.code,
            "version": item.version,
            "status": item.status,
            "revision": item.revision,
        }

    def publish_item(
        self, *, code: str, actor: dict, idempotency: IdempotencyRequest | None = None, **terms: Any
    ) -> Outcome:
        code = validate_item_code(code)

        def build(tx: Tx) -> Sequence[Aggregate]:
            if self.load_or_none(item_id(code)) is not None:
                raise Duplicate(f"A service item with code {code} already exists.", code=code)
            return [ServiceItem.publish(code=code, actor=actor, timestamp=self.clock(), **terms)]

        return self._run(
            build, lambda aggs: self._item_body(aggs[0]), status=CREATED, idempotency=idempotency
        )

    def revise_item(
        self,
        *,
        code: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
        **terms: Any,
    ) -> Outcome:
        def act(item: ServiceItem, tx: Tx, now: datetime) -> list:
            item.revise(actor=actor, timestamp=now, **terms)
            return []

        return self._transition(
            ServiceItem,
            item_id(validate_item_code(code)),
            "service item",
            act,
            self._item_body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def withdraw_item(
        self,
        *,
        code: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        def act(item: ServiceItem, tx: Tx, now: datetime) -> list:
            item.withdraw(actor=actor, reason=reason, timestamp=now)
            return []

        return self._transition(
            ServiceItem,
            item_id(validate_item_code(code)),
            "service item",
            act,
            self._item_body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def get_item(self, code: str) -> ServiceItem:
        return self._load(
            ServiceItem, item_id(validate_item_code(code, field="item_code")), "service item"
        )

    # --- cases --------------------------------------------------------------------------

    @staticmethod
    def _case_body(case: Case) -> dict[str, Any]:
        return {
            "case_id": str(case.id),
            "case_number": case.case_number,
            "status": case.status,
            "version": case.version,
        }

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
            item = self.load_or_none(item_id(item_code))
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

        return self._run(
            build, lambda aggs: self._case_body(aggs[0]), status=CREATED, idempotency=idempotency
        )

    def _case_command(
        self,
        case_id: UUID | str,
        act: Callable[[Case, Tx, datetime], Sequence[Aggregate]],
        *,
        expected_version: int | None,
        idempotency: IdempotencyRequest | None,
        extra: Callable[[Case], dict[str, Any]] | None = None,
    ) -> Outcome:
        def body(case: Case) -> dict[str, Any]:
            return {**self._case_body(case), **(extra(case) if extra else {})}

        return self._transition(
            Case,
            _id(case_id, "case_id"),
            "case",
            act,
            body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.request_materials(codes=codes, note=note, actor=actor, timestamp=now)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.supplement_materials(materials=materials, actor=actor, timestamp=now)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    def accept_case(
        self,
        *,
        case_id: UUID | str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Accept; when the item has a fee, request it in the same commit."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.accept(actor=actor, timestamp=now, calendar=self.calendar)
            if case.item["fee_fen"] <= 0:
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

        return self._case_command(
            case_id,
            act,
            expected_version=expected_version,
            idempotency=idempotency,
            extra=lambda case: {
                "payment_id": str(case.fee_payment_id) if case.fee_payment_id else None
            },
        )

    def reject_acceptance(
        self,
        *,
        case_id: UUID | str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.reject_acceptance(reason=reason, actor=actor, timestamp=now)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.assign(clerk_sub=clerk_sub, actor=actor, timestamp=now)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.suspend(reason=reason, actor=actor, timestamp=now, calendar=self.calendar)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    def resume_case(
        self,
        *,
        case_id: UUID | str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.resume(actor=actor, timestamp=now, calendar=self.calendar)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.extend(
                days=days, reason=reason, actor=actor, timestamp=now, calendar=self.calendar
            )
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    def decide_case(
        self,
        *,
        case_id: UUID | str,
        outcome: str,
        actor: dict,
        reasons: str = "",
        legal_basis: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Decide; approval of an item with a licence type issues the licence at once."""

        def act(case: Case, tx: Tx, now: datetime) -> list:
            fee_settled = False
            if case.fee_payment_id is not None:
                fee = self._load(Payment, case.fee_payment_id, "payment")
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
            return [licence] if licence else []

        return self._case_command(
            case_id,
            act,
            expected_version=expected_version,
            idempotency=idempotency,
            extra=lambda case: {"licence_number": case.licence_number},
        )

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
            cancelled = []
            for link in case.payments:
                payment = self._load(Payment, UUID(link["payment_id"]), "payment")
                if payment.status == REQUESTED:
                    payment.cancel(reason="申请已撤回 (case withdrawn)", actor=actor, timestamp=now)
                    cancelled.append(payment)
            return cancelled

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
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
        def act(case: Case, tx: Tx, now: datetime) -> list:
            case.rate(score=score, comment=comment, actor=actor, timestamp=now)
            return []

        return self._case_command(
            case_id, act, expected_version=expected_version, idempotency=idempotency
        )

    # --- payments -----------------------------------------------------------------------

    @staticmethod
    def _payment_body(payment: Payment) -> dict[str, Any]:
        return {"payment_id": str(payment.id), "status": payment.status, "version": payment.version}

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
        """A charge against a case or a violation; one open fee or charge per case."""
        if (case_id is None) == (violation_id is None):
            raise InvalidInput("reference", "name exactly one of case_id or violation_id")

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            owner: Case | Violation
            if case_id is not None:
                owner = self._load(Case, _id(case_id, "reference.case_id"), "case")
                for link in owner.payments:
                    if link["kind"] in ("fee", "charge"):
                        self._load(
                            Payment, UUID(link["payment_id"]), "payment"
                        ).check_conflict_free()
            else:
                owner = self._load(
                    Violation, _id(violation_id, "reference.violation_id"), "violation"
                )
            payment = Payment.request(
                kind="charge",
                amount_fen=amount_fen,
                payer_party_id=payer_party_id,
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

        return self._run(
            build, lambda aggs: self._payment_body(aggs[0]), status=CREATED, idempotency=idempotency
        )

    def settle_payment(
        self,
        *,
        payment_id: UUID | str,
        channel: str,
        transaction_ref: str,
        amount_fen: int,
        actor: dict,
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
                actor=actor,
                timestamp=now,
            )
            repeated.append(not new)
            return []

        def body(payment: Payment) -> dict[str, Any]:
            answer = self._payment_body(payment)
            if repeated and repeated[-1]:
                answer.update(version=payment.settled_version, repeated=True)
            return answer

        return self._transition(
            Payment,
            _id(payment_id, "payment_id"),
            "payment",
            act,
            body,
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
        def act(payment: Payment, tx: Tx, now: datetime) -> list:
            payment.refund(amount_fen=amount_fen, reason=reason, actor=actor, timestamp=now)
            return []

        return self._transition(
            Payment,
            _id(payment_id, "payment_id"),
            "payment",
            act,
            self._payment_body,
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
        def act(payment: Payment, tx: Tx, now: datetime) -> list:
            payment.cancel(reason=reason, actor=actor, timestamp=now)
            return []

        return self._transition(
            Payment,
            _id(payment_id, "payment_id"),
            "payment",
            act,
            self._payment_body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    # --- violations ---------------------------------------------------------------------

    @staticmethod
    def _violation_body(violation: Violation) -> dict[str, Any]:
        return {
            "violation_id": str(violation.id),
            "payment_id": str(violation.fine_payment_id) if violation.fine_payment_id else None,
            "status": violation.status,
            "version": violation.version,
        }

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

        return self._run(
            build,
            lambda aggs: self._violation_body(aggs[0]),
            status=CREATED,
            idempotency=idempotency,
        )

    def contest_violation(
        self,
        *,
        violation_id: UUID | str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        def act(violation: Violation, tx: Tx, now: datetime) -> list:
            violation.contest(reason=reason, actor=actor, timestamp=now)
            return []

        return self._transition(
            Violation,
            _id(violation_id, "violation_id"),
            "violation",
            act,
            self._violation_body,
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
            fine = self._load(Payment, violation.fine_payment_id, "payment")
            if fine.status == REQUESTED:
                fine.cancel(
                    reason=f"处罚撤销 (annulled): {violation.resolution_reason}",
                    actor=actor,
                    timestamp=now,
                )
            elif fine.refundable_fen > 0:
                fine.refund(
                    amount_fen=fine.refundable_fen,
                    reason=f"处罚撤销 (annulled): {violation.resolution_reason}",
                    actor=actor,
                    timestamp=now,
                )
            else:
                return []
            return [fine]

        return self._transition(
            Violation,
            _id(violation_id, "violation_id"),
            "violation",
            act,
            self._violation_body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    # --- licences -----------------------------------------------------------------------

    @staticmethod
    def _licence_body(licence: Licence) -> dict[str, Any]:
        return {
            "licence_number": licence.number,
            "status": licence.status,
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
            "version": licence.version,
        }

    def _licence_command(
        self,
        number: str,
        act: Callable[[Licence, datetime], None],
        *,
        expected_version: int | None,
        idempotency: IdempotencyRequest | None,
    ) -> Outcome:
        def run(licence: Licence, tx: Tx, now: datetime) -> list:
            act(licence, now)
            return []

        return self._transition(
            Licence,
            licence_id(number),
            "licence",
            run,
            self._licence_body,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def get_licence(self, number: str) -> Licence | None:
        licence = self.load_or_none(licence_id(number))
        return licence if isinstance(licence, Licence) else None

    def suspend_licence(
        self,
        *,
        licence_number: str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._licence_command(
            licence_number,
            lambda lic, now: lic.suspend(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def resume_licence(
        self,
        *,
        licence_number: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._licence_command(
            licence_number,
            lambda lic, now: lic.resume(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def revoke_licence(
        self,
        *,
        licence_number: str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._licence_command(
            licence_number,
            lambda lic, now: lic.revoke(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def renew_licence(
        self,
        *,
        licence_number: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._licence_command(
            licence_number,
            lambda lic, now: lic.renew(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )
