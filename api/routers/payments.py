"""Payments (`/payments`): a clerk's charge, refund and cancellation; the gateway's
settlement. The payer's simulated payment of development is in the `dev` router."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from api.auth import require
from api.command_support import (
    IdempotencyKey,
    answer,
    app,
    idempotency,
    in_clerk_scope,
    load,
    settle,
)
from api.schemas.common import PROBLEMS
from api.schemas.payments import CancelIn, ChargeIn, PaymentOut, RefundIn, SettleIn
from domain.model.case import Case
from domain.model.payment import Payment
from domain.model.violation import Violation

router = Router(tags=["payments"])

CREATED = {201: PaymentOut, **PROBLEMS}
MOVED = {200: PaymentOut, **PROBLEMS}


@router.post(
    "",
    response=CREATED,
    summary="Request a charge against a case or a violation (clerk)",
    operation_id="api_routers_payment_commands_request_charge",
)
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


@router.post(
    "/{payment_id}/settle",
    response=MOVED,
    summary="Record the gateway's settlement; the same transaction_ref again answers the first result (gateway)",
    operation_id="api_routers_payment_commands_settle_payment",
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
    return settle(
        request,
        response,
        payment_id,
        principal=principal,
        channel=payload.channel,
        transaction_ref=payload.transaction_ref,
        amount_fen=payload.amount_fen,
        fee_fen=payload.fee_fen,
        expected_version=payload.expected_version,
        key=idempotency_key,
        payload=payload,
    )


@router.post(
    "/{payment_id}/refund",
    response=MOVED,
    summary="Refund (part of) a paid payment (clerk)",
    operation_id="api_routers_payment_commands_refund_payment",
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


@router.post(
    "/{payment_id}/cancel",
    response=MOVED,
    summary="Cancel an unpaid payment (clerk)",
    operation_id="api_routers_payment_commands_cancel_payment",
)
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
