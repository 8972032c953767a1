"""Erasure of a person's data (admin): `POST /api/v1/erasures` (docs/api.md, "Personal data").

The identifier travels in the body, never in the URL (proxies and access logs keep URLs).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from api.auth import require
from api.command_support import IdempotencyKey, answer, app, idempotency
from api.schemas.common import PROBLEMS
from api.schemas.privacy import ErasureIn, ErasureOut

router = Router(tags=["personal data"])


@router.post(
    "",
    response={200: ErasureOut, 201: ErasureOut, **PROBLEMS},
    summary="Erase a person's data everywhere by deleting their keys (admin)",
    operation_id="api_routers_privacy_erase_party",
)
def erase_party(
    request: HttpRequest,
    response: HttpResponse,
    payload: ErasureIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "admin")
    outcome = app().erase_party(
        party_id=payload.party_id,
        legal_basis=payload.legal_basis,
        reason=payload.reason,
        actor=principal.actor(),
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)
