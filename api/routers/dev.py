"""Development-only endpoints (`/dev`): demo tokens for the portal's sign-in, and the payer's
payment through a simulated gateway.

Production does not mount this router (api/urls.py), so every request there is a 404 before
authentication or validation (docs/api.md, Development only). The guard in each handler is a
second lock for a process whose configuration changed after its URLconf was loaded.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema

from api.auth import ROLES, check_dev_subject, dev_subject, issue_dev_token, require
from api.command_support import IdempotencyKey, load, of_party, settle
from api.config import get_config
from api.schemas.common import PROBLEMS
from api.schemas.payments import PaymentOut
from domain.errors import InvalidInput
from domain.model.payment import Payment

router = Router(tags=["development"])

DEV_CHANNEL = "dev"


class DevTokenIn(Schema):
    role: str
    sub: str | None = None
    party_id: str | None = None
    department: str | None = None
    region_code: str | None = None


class DevTokenOut(Schema):
    token: str
    role: str
    sub: str


def _development_only() -> None:
    if get_config().is_production:
        raise Http404("No such endpoint.")


@router.post(
    "/tokens",
    response={200: DevTokenOut, **PROBLEMS},
    auth=None,
    summary="Mint a demo token (development only)",
    operation_id="api_routers_dev_dev_token",
)
def dev_token(request, payload: DevTokenIn):
    _development_only()
    if payload.role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}")
    sub = payload.sub or dev_subject(payload.role, payload.party_id)
    try:
        check_dev_subject(sub)
    except ValueError as e:
        raise InvalidInput("sub", str(e)) from None
    token = issue_dev_token(
        role=payload.role,
        sub=sub,
        party_id=payload.party_id,
        department=payload.department,
        region_code=payload.region_code,
    )
    return {"token": token, "role": payload.role, "sub": sub}


@router.post(
    "/pay/{payment_id}",
    response={200: PaymentOut, **PROBLEMS},
    summary="Pay as the payer through a simulated gateway (development only; 404 in production)",
    operation_id="api_routers_payment_commands_dev_pay",
)
def dev_pay(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    idempotency_key: str | None = IdempotencyKey,
):
    _development_only()
    principal = require(request, "citizen")
    payment = load(Payment, payment_id, "payment")
    of_party(principal, payment.payer_party_id, "payment", payment_id)
    # One simulated transaction per payment, so paying twice answers the first payment.
    return settle(
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
