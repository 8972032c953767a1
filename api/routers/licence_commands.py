"""Licence commands of the issuing department (within its region): suspend, resume,
revoke, renew."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from api.auth import require
from api.routers.command_support import (
    IdempotencyKey,
    answer,
    app,
    idempotency,
    in_clerk_scope,
    load,
)
from api.schemas.common import PROBLEMS
from api.schemas.licences import LicenceOut, LicenceReasonIn
from domain.model.licence import Licence, licence_id

router = Router(tags=["licences"])

MOVED = {200: LicenceOut, **PROBLEMS}
NUMBER = Path(..., max_length=40, examples=["SCL-2026-510100-00000042"])


def _licence_command(
    request: HttpRequest,
    response: HttpResponse,
    number: str,
    payload: LicenceReasonIn | None,
    key: str | None,
    command: str,
):
    payload = payload or LicenceReasonIn()
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Licence, licence_id(number), "licence"), "licence", number)
    outcome = getattr(app(), command)(
        licence_number=number,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/{licence_number}/suspend", response=MOVED, summary="Suspend an active licence (issuing clerk)"
)
def suspend_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "suspend_licence"
    )


@router.post(
    "/{licence_number}/resume", response=MOVED, summary="Resume a suspended licence (issuing clerk)"
)
def resume_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn | None = None,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "resume_licence"
    )


@router.post("/{licence_number}/revoke", response=MOVED, summary="Revoke a licence (issuing clerk)")
def revoke_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "revoke_licence"
    )


@router.post(
    "/{licence_number}/renew",
    response=MOVED,
    summary="Renew a licence for another validity period (issuing clerk)",
)
def renew_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn | None = None,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "renew_licence"
    )
