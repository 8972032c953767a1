"""Case commands: submission and every transition of a case (docs/api.md).

A citizen submits for the party in their token and supplements, withdraws and rates their
own cases; a clerk submits on an applicant's behalf at a counter channel and runs the
transitions of cases of their department within their region. Anything else: 403 for a
role that may never call the endpoint, 404 for a case outside the caller's scope.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse

from api import access
from api.auth import Principal, require
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
from api.routers.cases.resource import router
from api.schemas.cases import (
    AssignIn,
    CaseAcceptedOut,
    CaseDecidedOut,
    CaseIn,
    CaseOut,
    DecideIn,
    ExtendIn,
    OptionalReasonIn,
    RateIn,
    ReasonIn,
    RequestMaterialsIn,
    SupplementMaterialsIn,
    TransferIn,
)
from api.schemas.common import PROBLEMS, TransitionIn
from domain.errors import InvalidInput
from domain.model.case import Case
from domain.model.service_item import ServiceItem, item_id

COUNTER_CHANNELS = ("hall", "hotline", "kiosk")
CREATED = {201: CaseOut, **PROBLEMS}
MOVED = {200: CaseOut, **PROBLEMS}


def _clerk_of(request: HttpRequest, case_id: UUID) -> Principal:
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Case, case_id, "case"), "case", case_id)
    return principal


def _applicant_of(request: HttpRequest, case_id: UUID) -> Principal:
    principal = require(request, "citizen")
    applicant = load(Case, case_id, "case").applicant or {}  # none once destroyed: 404
    of_party(principal, applicant.get("party_id"), "case", case_id)
    return principal


def _check_submitter(principal: Principal, payload: CaseIn) -> None:
    if principal.role == "citizen":
        if payload.applicant.party_id != principal.party_id:
            raise forbid(
                "A citizen applies only for the party they act as (the party_id of their token)."
            )
        return
    if payload.channel not in COUNTER_CHANNELS:
        raise InvalidInput(
            "channel", "a clerk applies on an applicant's behalf at a hall, hotline or kiosk"
        )
    item = app().load_or_none(item_id(payload.item_code))
    if isinstance(item, ServiceItem) and not clerk_covers(
        principal, item.department, item.region_code
    ):
        raise forbid(
            "A clerk applies only for service items of their department within their region."
        )


@router.post(
    "/cases",
    response=CREATED,
    summary="Submit an application (citizen for themself; clerk at a counter)",
    operation_id="api_routers_case_commands_submit_case",
)
def submit_case(
    request: HttpRequest,
    response: HttpResponse,
    payload: CaseIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "citizen", "clerk")
    _check_submitter(principal, payload)
    outcome = app().submit_case(
        item_code=payload.item_code,
        applicant=payload.applicant.model_dump(),
        channel=payload.channel,
        materials=[m.model_dump() for m in payload.materials],
        form=payload.form,
        actor=principal.actor(payload.channel),
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/request-materials",
    response=MOVED,
    summary="Ask the applicant for materials (clerk)",
    operation_id="api_routers_case_commands_request_materials",
)
def request_materials(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: RequestMaterialsIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().request_materials(
        case_id=case_id,
        codes=payload.codes,
        note=payload.note,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/supplement-materials",
    response=MOVED,
    summary="Supplement requested materials (applicant)",
    operation_id="api_routers_case_commands_supplement_materials",
)
def supplement_materials(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: SupplementMaterialsIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _applicant_of(request, case_id)
    outcome = app().supplement_materials(
        case_id=case_id,
        materials=[m.model_dump() for m in payload.materials],
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/accept",
    response={200: CaseAcceptedOut, **PROBLEMS},
    summary="Accept the case; requests the item's fee, if any (clerk)",
    operation_id="api_routers_case_commands_accept_case",
)
def accept_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: TransitionIn | None = None,
    idempotency_key: str | None = IdempotencyKey,
):
    payload = payload or TransitionIn()
    principal = _clerk_of(request, case_id)
    outcome = app().accept_case(
        case_id=case_id,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/reject-acceptance",
    response=MOVED,
    summary="Refuse to accept the case (clerk)",
    operation_id="api_routers_case_commands_reject_acceptance",
)
def reject_acceptance(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: ReasonIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().reject_acceptance(
        case_id=case_id,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/assign",
    response=MOVED,
    summary="Assign the case to a clerk (clerk)",
    operation_id="api_routers_case_commands_assign_case",
)
def assign_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: AssignIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().assign_case(
        case_id=case_id,
        clerk_sub=payload.clerk_sub,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/suspend",
    response=MOVED,
    summary="Suspend the case; the statutory clock stops (clerk)",
    operation_id="api_routers_case_commands_suspend_case",
)
def suspend_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: ReasonIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().suspend_case(
        case_id=case_id,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/resume",
    response=MOVED,
    summary="Resume a suspended case (clerk)",
    operation_id="api_routers_case_commands_resume_case",
)
def resume_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: TransitionIn | None = None,
    idempotency_key: str | None = IdempotencyKey,
):
    payload = payload or TransitionIn()
    principal = _clerk_of(request, case_id)
    outcome = app().resume_case(
        case_id=case_id,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/extend",
    response=MOVED,
    summary="Extend the statutory deadline (clerk)",
    operation_id="api_routers_case_commands_extend_case",
)
def extend_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: ExtendIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().extend_case(
        case_id=case_id,
        days=payload.days,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/decide",
    response={200: CaseDecidedOut, **PROBLEMS},
    summary="Decide the case; approval issues the item's licence, if any (clerk)",
    operation_id="api_routers_case_commands_decide_case",
)
def decide_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: DecideIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _clerk_of(request, case_id)
    outcome = app().decide_case(
        case_id=case_id,
        outcome=payload.outcome,
        reasons=payload.reasons,
        legal_basis=payload.legal_basis,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/transfer",
    response=MOVED,
    summary="Transfer the open case to the competent department (转办) (clerk)",
    operation_id="api_routers_case_commands_transfer_case",
)
def transfer_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: TransferIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "clerk")
    case = load(Case, case_id, "case")
    outcome = app().transfer_case(
        case_id=case_id,
        department=payload.department,
        region_code=payload.region_code,
        reason=payload.reason,
        actor=principal.actor(),
        holder=(principal.department, principal.region_code),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    # The applicant's record is now open to another department's clerks: their access log
    # says who handed it over (a retry records it again rather than never).
    access.record(
        request,
        principal,
        record_ids=[str(case_id)],
        party_ids=[_applicant_party(case)],
        query=f"transfer to {payload.department} {payload.region_code}",
    )
    return answer(outcome, response)


def _applicant_party(case: Case) -> str:
    """The party whose personal record a transfer hands over (for the access log only)."""
    return case.applicant["party_id"]


@router.post(
    "/cases/{case_id}/withdraw",
    response=MOVED,
    summary="Withdraw the application before a decision (applicant)",
    operation_id="api_routers_case_commands_withdraw_case",
)
def withdraw_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: OptionalReasonIn | None = None,
    idempotency_key: str | None = IdempotencyKey,
):
    payload = payload or OptionalReasonIn()
    principal = _applicant_of(request, case_id)
    outcome = app().withdraw_case(
        case_id=case_id,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/cases/{case_id}/rate",
    response=MOVED,
    summary="Rate the service once, after the decision (applicant)",
    operation_id="api_routers_case_commands_rate_case",
)
def rate_case(
    request: HttpRequest,
    response: HttpResponse,
    case_id: UUID,
    payload: RateIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = _applicant_of(request, case_id)
    outcome = app().rate_case(
        case_id=case_id,
        score=payload.score,
        comment=payload.comment,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)
