"""Violation commands: a clerk records a violation (and its fine) and resolves it; the
party contests it."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from api.auth import require
from api.command_support import (
    IdempotencyKey,
    answer,
    app,
    clerk_covers,
    forbid,
    idempotency,
    in_clerk_scope,
    load,
    of_party,
)
from api.schemas.common import PROBLEMS
from api.schemas.violations import ContestIn, ResolveIn, ViolationIn, ViolationOut
from domain.model.violation import Violation

router = Router(tags=["violations"])

MOVED = {200: ViolationOut, **PROBLEMS}


@router.post(
    "",
    response={201: ViolationOut, **PROBLEMS},
    summary="Record a violation of the caller's department and region, and request its fine (clerk)",
    operation_id="api_routers_violation_commands_record_violation",
)
def record_violation(
    request: HttpRequest,
    response: HttpResponse,
    payload: ViolationIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    if not clerk_covers(principal, principal.department, payload.region_code):
        raise forbid(
            f"A clerk records violations within their region ({principal.region_code}) only."
        )
    outcome = app().record_violation(
        party_id=payload.party_id,
        party_name=payload.party_name,
        description=payload.description,
        location=payload.location,
        region_code=payload.region_code,
        occurred_at=payload.occurred_at,
        fine_fen=payload.fine_fen,
        legal_basis=payload.legal_basis,
        department=principal.department,
        actor=principal.actor(),
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/{violation_id}/contest",
    response=MOVED,
    summary="Contest a violation (the party)",
    operation_id="api_routers_violation_commands_contest_violation",
)
def contest_violation(
    request: HttpRequest,
    response: HttpResponse,
    violation_id: UUID,
    payload: ContestIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "citizen")
    of_party(
        principal, load(Violation, violation_id, "violation").party_id, "violation", violation_id
    )
    outcome = app().contest_violation(
        violation_id=violation_id,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/{violation_id}/resolve",
    response=MOVED,
    summary="Resolve a violation; annulment cancels or refunds the fine (clerk)",
    operation_id="api_routers_violation_commands_resolve_violation",
)
def resolve_violation(
    request: HttpRequest,
    response: HttpResponse,
    violation_id: UUID,
    payload: ResolveIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Violation, violation_id, "violation"), "violation", violation_id)
    outcome = app().resolve_violation(
        violation_id=violation_id,
        outcome=payload.outcome,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)
