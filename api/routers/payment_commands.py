"""Payment commands: a clerk's charge, refund and cancellation; the gateway's settlement;
and, in development only, `POST /dev/pay/{payment_id}` with which the payer simulates the
gateway (404 in production)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router

from api.auth import require
from api.config import get_config
from api.routers.command_support import (
    IdempotencyKey,
    answer,
    app,
    idempotency,
    in_clerk_scope,
    load,
    of_party,
)
from api.schemas.common import PROBLEMS
from api.schemas.payments import CancelIn, ChargeIn, PaymentOut, RefundIn, SettleIn
from domain.model.case import Case
from domain.model.payment import Payment
from domain.model.violation import Violation
from domain.services import Outcome

router = Router(tags=["payments"])
dev_router = Router(tags=["development"])

DEV_CHANNEL = "dev"
CREATED = {201: PaymentOut, **PROBLEMS}
MOVED = {200: PaymentOut, **PROBLEMS}


@router.post("", response=CREATED, summary="Request a charge against a case or a violation (clerk)")
def request_charge(
    request: HttpRequest,
    response: HttpResponse,
    payload: ChargeIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    ref = payload.reference
    if ref.case_id is not None:
        in_clerk_scope(principal, load(Case, ref.case_id, "case"), "case", ref.case_id)
    else:
        in_clerk_scope(
            principal, load(Violation, ref.violation_id, "violation"), "violation", ref.violation_id
        )
    outcome = app().request_charge(
        amount_fen=payload.amount_fen,
        payer_party_id=payload.payer_party_id,
        due_date=payload.due_date,
        case_id=ref.case_id,
        violation_id=ref.violation_id,
        actor=principal.actor(),
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


def _first_settlement(outcome: Outcome, payment_id: UUID) -> Outcome:
    """A repeated settlement appends nothing; answer what the first one answered."""
    if not outcome.body.get("repeated"):
        return outcome
    version = outcome.body["version"]
    position = next(
        (e.position for e in app().read_stream(payment_id) if e.originator_version == version), None
    )
    body = {**outcome.body, "status": "settled", "position": position}
    body.pop("repeated")
    return Outcome(status=outcome.status, body=body, replayed=True)


def _settle(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    *,
    principal,
    channel: str,
    transaction_ref: str,
    amount_fen: int,
    expected_version: int | None,
    key,
    payload,
):
    outcome = app().settle_payment(
        payment_id=payment_id,
        channel=channel,
        transaction_ref=transaction_ref,
        amount_fen=amount_fen,
        actor=principal.actor(channel),
        expected_version=expected_version,
        idempotency=idempotency(request, principal, key, payload),
    )
    return answer(_first_settlement(outcome, payment_id), response)


@router.post(
    "/{payment_id}/settle",
    response=MOVED,
    summary="Record the gateway's settlement; the same transaction_ref again answers the first result (gateway)",
)
def settle_payment(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    payload: SettleIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "gateway")
    load(Payment, payment_id, "payment")
    return _settle(
        request,
        response,
        payment_id,
        principal=principal,
        channel=payload.channel,
        transaction_ref=payload.transaction_ref,
        amount_fen=payload.amount_fen,
        expected_version=payload.expected_version,
        key=idempotency_key,
        payload=payload,
    )


@router.post(
    "/{payment_id}/refund", response=MOVED, summary="Refund (part of) a paid payment (clerk)"
)
def refund_payment(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    payload: RefundIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Payment, payment_id, "payment"), "payment", payment_id)
    outcome = app().refund_payment(
        payment_id=payment_id,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post("/{payment_id}/cancel", response=MOVED, summary="Cancel an unpaid payment (clerk)")
def cancel_payment(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    payload: CancelIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Payment, payment_id, "payment"), "payment", payment_id)
    outcome = app().cancel_payment(
        payment_id=payment_id,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@dev_router.post(
    "/pay/{payment_id}",
    response=MOVED,
    summary="Pay as the payer through a simulated gateway (development only; 404 in production)",
)
def dev_pay(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    idempotency_key: str | None = IdempotencyKey,
):
    if get_config().is_production:
        raise Http404("No such endpoint.")
    principal = require(request, "citizen")
    payment = load(Payment, payment_id, "payment")
    of_party(principal, payment.payer_party_id, "payment", payment_id)
    # One simulated transaction per payment, so paying twice answers the first payment.
    return _settle(
        request,
        response,
        payment_id,
        principal=principal,
        channel=DEV_CHANNEL,
        transaction_ref=f"DEV-{payment_id}",
        amount_fen=payment.amount_fen,
        expected_version=None,
        key=idempotency_key,
        payload=None,
    )
