"""A payment: a fee (requested by a case's acceptance), a fine (requested by a violation)
or a charge (requested by a clerk). Amounts are integer fen, currency CNY.

Settling again with the same transaction reference and amount is a no-op (the gateway
retries); the same reference with another amount is an error. Refunds never exceed what
was paid. Only an unpaid payment can be cancelled. Overdue is computed from the due date
and the clock.

The gateway that settled a payment (the settling actor's subject) also pays its refunds back;
each settlement and refund is kept in `movements`, which a reconciliation compares with that
gateway's daily statement (domain/model/reconciliation.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.calendar import shanghai_date
from domain.errors import Conflict, IllegalTransition, InvalidInput
from domain.identifiers import validate_party_id
from domain.model.base import CasetrackAggregate

KINDS = ("fee", "fine", "charge")
REQUESTED = "requested"
SETTLED = "settled"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
CANCELLED = "cancelled"
STATUSES = (REQUESTED, SETTLED, PARTIALLY_REFUNDED, REFUNDED, CANCELLED)
CURRENCY = "CNY"


def validate_amount(value: Any, field: str = "amount_fen") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(field, "must be a positive whole number of fen")
    return value


def check_payer(payer_party_id: Any, party: dict, record: str) -> None:
    """A charge is billed to the referenced record's own party: the case's applicant or the
    violation's party. Anyone else would be billed, and shown the record's id, without cause."""
    if payer_party_id != party.get("party_id"):
        whose = "applicant" if record == "case" else "party"
        raise InvalidInput("payer_party_id", f"must be the {whose} of the referenced {record}")


def _text(value: Any, field: str, *, required: bool, max_len: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(field, "is required")
    if len(value) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    return value.strip()


def validate_fee(value: Any) -> int | None:
    """The gateway's fee for a settlement: whole fen, 0 or more, or None when not given."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput("fee_fen", "must be a whole number of fen, 0 or more")
    return value


class Payment(CasetrackAggregate):
    record_name = "payment"
    final_statuses = (REFUNDED, CANCELLED)
    destroyed = False  # with its case (retention); set by ``PaymentDestroyed``
    # Snapshots taken before these existed lack them.
    gateway: str | None = None
    fee_fen: int | None = None
    movements: tuple | list = ()

    class PaymentSettled(CasetrackAggregate.Event):
        """v2 adds ``fee_fen``, the gateway's fee (None: not given, as in every v1)."""

        class_version = 2
        channel: str
        transaction_ref: str
        amount_fen: int
        fee_fen: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["fee_fen"] = None

    @classmethod
    def request(
        cls,
        *,
        kind: str,
        amount_fen: int,
        payer_party_id: str,
        payer_name: str = "",
        case_id: UUID | None = None,
        violation_id: UUID | None = None,
        due_date: date,
        department: str,
        region_code: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Payment:
        if kind not in KINDS:
            raise InvalidInput("kind", "must be fee, fine or charge")
        validate_amount(amount_fen)
        validate_party_id(payer_party_id, field="payer_party_id")
        if (case_id is None) == (violation_id is None):
            raise InvalidInput("reference", "name exactly one of case_id or violation_id")
        if kind == "fee" and case_id is None:
            raise InvalidInput("reference", "a fee belongs to a case")
        if kind == "fine" and violation_id is None:
            raise InvalidInput("reference", "a fine belongs to a violation")
        if not isinstance(due_date, date) or isinstance(due_date, datetime):
            raise InvalidInput("due_date", "must be a date (YYYY-MM-DD)")
        return cls(
            kind=kind,
            amount_fen=amount_fen,
            currency=CURRENCY,
            payer_party_id=payer_party_id,
            payer_name=_text(payer_name, "payer_name", required=False),
            case_id=case_id,
            violation_id=violation_id,
            due_date=due_date,
            department=department,
            region_code=region_code,
            actor=actor,
            timestamp=timestamp,
        )

    @event("PaymentRequested")
    def __init__(
        self,
        *,
        kind: str,
        amount_fen: int,
        currency: str,
        payer_party_id: str,
        payer_name: str,
        case_id: UUID | None,
        violation_id: UUID | None,
        due_date: date,
        department: str,
        region_code: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.kind = kind
        self.amount_fen = amount_fen
        self.currency = currency
        self.payer_party_id = payer_party_id
        self.payer_name = payer_name
        self.case_id = case_id
        self.violation_id = violation_id
        self.due_date = due_date
        self.department = department
        self.region_code = region_code
        self.status = REQUESTED
        self.requested_at = timestamp
        self.paid_fen = 0
        self.refunded_fen = 0
        self.channel: str | None = None
        self.transaction_ref: str | None = None
        self.settled_at: datetime | None = None
        self.settled_version: int | None = None
        self.closing_reason = ""

    # --- settlement ---------------------------------------------------------------------

    def settle(
        self,
        *,
        channel: str,
        transaction_ref: str,
        amount_fen: int,
        actor: dict,
        fee_fen: int | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Record the gateway's settlement; False (nothing new) for a repeated one."""
        channel = _text(channel, "channel", required=True, max_len=50)
        transaction_ref = _text(transaction_ref, "transaction_ref", required=True)
        validate_amount(amount_fen)
        fee_fen = validate_fee(fee_fen)
        if fee_fen is not None and fee_fen > amount_fen:
            raise InvalidInput("fee_fen", "cannot exceed the amount settled")
        if self.transaction_ref is not None and self.transaction_ref == transaction_ref:
            if amount_fen != self.paid_fen:
                raise InvalidInput(
                    "amount_fen",
                    f"transaction {transaction_ref} was settled for {self.paid_fen} fen, "
                    f"not {amount_fen}",
                )
            return False
        if self.status == CANCELLED:
            raise IllegalTransition(
                record=self.record_name,
                action="settle",
                status=self.status,
                why="the payment was cancelled",
            )
        self.check_status(
            "settle",
            REQUESTED,
            why=f"it was already settled by transaction {self.transaction_ref}",
        )
        if amount_fen != self.amount_fen:
            raise InvalidInput("amount_fen", f"must equal the amount due, {self.amount_fen} fen")
        self._settled(
            channel=channel,
            transaction_ref=transaction_ref,
            amount_fen=amount_fen,
            fee_fen=fee_fen,
            actor=actor,
            timestamp=timestamp,
        )
        return True

    @event(PaymentSettled)
    def _settled(
        self,
        channel: str,
        transaction_ref: str,
        amount_fen: int,
        fee_fen: int | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.status = SETTLED
        self.channel = channel
        self.transaction_ref = transaction_ref
        self.paid_fen = amount_fen
        self.fee_fen = fee_fen
        self.gateway = actor["subject"] if actor.get("role") == "gateway" else None
        self.settled_at = timestamp
        self.settled_version = self.version + 1
        self.movements = [
            *self.movements,
            {"type": "pay", "amount_fen": amount_fen, "fee_fen": fee_fen, "at": timestamp},
        ]

    def refund(
        self, *, amount_fen: int, reason: str, actor: dict, timestamp: datetime | None = None
    ) -> None:
        self.check_status(
            "refund",
            SETTLED,
            PARTIALLY_REFUNDED,
            why="only a paid payment can be refunded",
        )
        validate_amount(amount_fen)
        if amount_fen > self.refundable_fen:
            raise InvalidInput(
                "amount_fen",
                f"cannot refund {amount_fen} fen: only {self.refundable_fen} fen of the "
                f"{self.paid_fen} fen paid can still be refunded",
            )
        self._refunded(
            amount_fen=amount_fen,
            reason=_text(reason, "reason", required=True, max_len=2000),
            actor=actor,
            timestamp=timestamp,
        )

    @event("PaymentRefunded")
    def _refunded(
        self, amount_fen: int, reason: str, actor: dict, timestamp: datetime | None
    ) -> None:
        self.refunded_fen += amount_fen
        self.status = REFUNDED if self.refunded_fen >= self.paid_fen else PARTIALLY_REFUNDED
        self.closing_reason = reason
        self.movements = [
            *self.movements,
            {"type": "refund", "amount_fen": amount_fen, "fee_fen": None, "at": timestamp},
        ]

    def cancel(self, *, reason: str, actor: dict, timestamp: datetime | None = None) -> None:
        self.check_status("cancel", REQUESTED, why="only an unpaid payment can be cancelled")
        self._cancelled(
            reason=_text(reason, "reason", required=True, max_len=2000),
            actor=actor,
            timestamp=timestamp,
        )

    @event("PaymentCancelled")
    def _cancelled(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = CANCELLED
        self.closing_reason = reason

    # --- retention (docs/design.md, "Retention") ----------------------------------------

    def destroy(self, *, case_number: str, actor: dict, timestamp: datetime | None = None) -> None:
        """With its case: the payer is forgotten; the amounts, a financial fact, stay."""
        if self.destroyed:
            raise IllegalTransition(
                record=self.record_name, action="destroy", status="destroyed", why="it is gone"
            )
        self._destroyed(case_number=case_number, actor=actor, timestamp=timestamp)

    @event("PaymentDestroyed")
    def _destroyed(self, case_number: str, actor: dict, timestamp: datetime | None) -> None:
        self.destroyed = True
        self.payer_party_id, self.payer_name, self.closing_reason = None, None, ""

    # --- transfer -----------------------------------------------------------------------

    def follow_case(
        self,
        *,
        department: str,
        region_code: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        """The payment's case was transferred: it moves with it, whatever its status, so the
        receiving department settles, refunds and sees it (the case's commit)."""
        self._transferred(
            moved_from={"department": self.department, "region_code": self.region_code},
            department=department,
            region_code=region_code,
            actor=actor,
            timestamp=timestamp,
        )

    @event("PaymentTransferred")
    def _transferred(
        self,
        moved_from: dict,
        department: str,
        region_code: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.department = department
        self.region_code = region_code

    # --- reading ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status == REQUESTED

    @property
    def is_settled(self) -> bool:
        return self.status in (SETTLED, PARTIALLY_REFUNDED, REFUNDED)

    @property
    def refundable_fen(self) -> int:
        return self.paid_fen - self.refunded_fen

    def movements_on(self, day: date, gateway: str) -> list[dict]:
        """The settlement and refunds of `day` (Asia/Shanghai) if `gateway` settled it."""
        if self.gateway != gateway:
            return []
        return [m for m in self.movements if shanghai_date(m["at"]) == day]

    def is_overdue(self, now: datetime) -> bool:
        return self.status == REQUESTED and shanghai_date(now) > self.due_date

    def check_conflict_free(self) -> None:
        """A payment that is still open blocks a second one of the same kind."""
        if self.is_open:
            raise Conflict(
                f"Payment {self.id} ({self.kind}, {self.amount_fen} fen) is still open; "
                "settle or cancel it first."
            )
