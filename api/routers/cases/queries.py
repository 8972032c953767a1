"""Case queries: the case view (`GET /cases/{case_id}`) and the clerk's worklist.

The case view is composed at query time: the case document, its payments and its licence
(other aggregates, other documents: see the pitfalls in docs/design.md), and the overdue
flags, which change with the clock and not with events.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field

from api import access, readside
from api.auth import Principal, require
from api.routers.cases.resource import router
from api.routers.licences import holder_fields
from api.schemas.common import PROBLEMS
from search.queries import by_id_body, worklist_body

READS = ("cases", "payments", "licences")
VIEWERS = ("citizen", "clerk", "auditor", "analyst", "admin")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_CASE_NUMBER = re.compile(r"^SC-\d{4}-\d{6}-\d{8}$")


class ConsistentIn(Schema):
    consistent_after: int | None = Field(
        None, ge=0, le=2**62, description="wait (at most 5 s) until this position is applied"
    )


class PaymentBriefOut(Schema):
    payment_id: str
    kind: str
    amount_fen: int
    status: str | None = None
    paid_fen: int | None = None
    refunded_fen: int | None = None
    due_date: str | None = None
    settled_at: str | None = None


class LicenceBriefOut(Schema):
    licence_number: str
    status: str | None = None
    state: str
    valid_from: str | None = None
    valid_until: str | None = None
    verification_code: str | None = Field(
        None, description="the holder and the issuing department only"
    )
    verify_url: str | None = Field(None, description="with the code; as verification_code")


class ArchiveOut(Schema):
    disposition: Literal["permanent", "destroy"]
    action_date: str | None = Field(None, description="the day it is destroyed; null if permanent")


class DestroyedOut(Schema):
    at: str
    action_date: str | None = None
    legal_basis: str = ""


class CaseViewOut(Schema):
    case_id: str
    case_number: str | None = None
    version: int
    position: int
    status: str
    item: dict[str, Any]
    department: str | None = None
    region_code: str | None = None
    channel: str | None = None
    applicant: dict[str, Any] | None = None
    materials: list[str] = Field(default_factory=list)
    required_materials: list[str] = Field(default_factory=list)
    requested_materials: list[str] = Field(default_factory=list)
    assigned_to: str | None = None
    submitted_at: str | None = None
    accepted_on: str | None = None
    promised_due: str | None = None
    statutory_due: str | None = None
    overdue: bool
    past_promised: bool
    extended_days: int = 0
    suspended_on: str | None = None
    decision: dict[str, Any] | None = None
    closing_reason: str | None = None
    timeline: list[dict[str, Any]] = Field(default_factory=list)
    transfers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="each transfer (转办): from_department, from_region_code, department, "
        "region_code, item_code, reason, at",
    )
    payments: list[PaymentBriefOut] = Field(default_factory=list)
    licence: LicenceBriefOut | None = None
    rating: dict[str, Any] | None = None
    archive: ArchiveOut | None = Field(
        None, description="set when the case closes; null while open or closed before rules"
    )
    destroyed: DestroyedOut | None = Field(None, description="the tombstone, once destroyed")
    degraded: bool = False
    consistent: bool


class WorklistItemOut(Schema):
    case_id: str
    case_number: str | None = None
    title: str | None = None
    item_code: str | None = None
    status: str
    applicant: dict[str, Any] | None = None
    channel: str | None = None
    assigned_to: str | None = None
    submitted_at: str | None = None
    promised_due: str | None = None
    statutory_due: str | None = None
    overdue: bool
    version: int | None = None


class WorklistOut(Schema):
    total: int
    page: int
    size: int
    items: list[WorklistItemOut]
    consistent: bool


class WorklistParams(ConsistentIn):
    status: Literal["submitted", "materials_requested", "accepted", "suspended"] | None = None
    assigned_to: Literal["me"] | None = Field(None, description="only cases assigned to the caller")
    overdue: bool | None = None
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)


def _payments(case: dict) -> list[dict]:
    listed = case.get("payments") or []
    found = readside.get_many("payments", [p["payment_id"] for p in listed])
    out = []
    for brief in listed:
        doc = found.get(brief["payment_id"], {})
        out.append(
            {
                "payment_id": brief["payment_id"],
                "kind": brief["kind"],
                "amount_fen": doc.get("amount_fen", brief["amount_fen"]),
                "status": doc.get("status"),
                "paid_fen": doc.get("paid_fen"),
                "refunded_fen": doc.get("refunded_fen"),
                "due_date": doc.get("due_date"),
                "settled_at": doc.get("settled_at"),
            }
        )
    return out


def _licence(case: dict, today: date, request: HttpRequest, principal: Principal) -> dict | None:
    if not case.get("licence_number"):
        return None
    doc = readside.get_many("licences", [case["licence_id"]]).get(case["licence_id"])
    if doc is None:  # decided, but the licence's own document is not projected yet
        return {"licence_number": case["licence_number"], "status": None, "state": "unknown"}
    brief = {
        "licence_number": doc["licence_number"],
        "status": doc.get("status"),
        "state": readside.licence_state(doc, today),
        "valid_from": doc.get("valid_from"),
        "valid_until": doc.get("valid_until"),
    }
    # A citizen who sees the case is its applicant, the holder; a clerk who sees it is of the
    # issuing department. Nobody else learns the verification code (docs/api.md, "Licences").
    if principal.role in ("citizen", "clerk"):
        brief.update(holder_fields(request, doc))
    return brief


def case_view(case: dict, today: date) -> dict:
    return {
        **{
            k: case.get(k)
            for k in (
                "case_id",
                "case_number",
                "status",
                "department",
                "region_code",
                "channel",
                "applicant",
                "assigned_to",
                "submitted_at",
                "accepted_on",
                "promised_due",
                "statutory_due",
                "suspended_on",
                "decision",
                "closing_reason",
                "rating",
            )
        },
        "version": case["aggregate_version"],
        "position": case["position"],
        "item": {
            "code": case.get("item_code"),
            "name": case.get("item_name"),
            "item_type": case.get("item_type"),
            "revision": case.get("item_revision"),
            "fee_fen": case.get("fee_fen"),
            "statutory_days": case.get("statutory_days"),
            "promised_days": case.get("promised_days"),
        },
        "materials": case.get("materials") or [],
        "required_materials": case.get("required_materials") or [],
        "requested_materials": case.get("requested_materials") or [],
        "extended_days": case.get("extended_days") or 0,
        "overdue": readside.is_overdue(case, today),
        "past_promised": readside.is_past_promised(case, today),
        "timeline": case.get("timeline") or [],
        "archive": _archive(case.get("archive")),
        "destroyed": case.get("destroyed"),
        "transfers": case.get("transfers") or [],
        "degraded": bool(case.get("degraded")),
    }


def _archive(archive: dict | None) -> dict | None:
    if not archive:
        return None
    return {"disposition": archive["disposition"], "action_date": archive.get("action_date")}


@router.get(
    "/cases/{case_id}",
    response={200: CaseViewOut, **PROBLEMS},
    summary="A case, as its applicant or staff see it",
    description="`case_id` may also be the case number. A case outside the caller's scope is 404.",
    operation_id="api_routers_case_queries_get_case",
)
def get_case(request: HttpRequest, case_id: str, params: Query[ConsistentIn]):
    principal = require(request, *VIEWERS)
    if _CASE_NUMBER.match(case_id):
        field = "case_number"
    elif _UUID.match(case_id):
        field, case_id = "case_id", str(uuid.UUID(case_id))
    else:
        raise readside.not_found()
    consistent = readside.consistent(params.consistent_after, READS)
    case = readside.one("cases", by_id_body(field, case_id, readside.scope_of(principal)))
    today = readside.today()
    view = case_view(case, today)
    view["payments"] = _payments(case)
    view["licence"] = _licence(case, today, request, principal)
    view["consistent"] = consistent
    record_ids = [case["case_id"], *(p["payment_id"] for p in view["payments"])]
    if view["licence"]:
        record_ids.append(view["licence"]["licence_number"])
    access.record_staff_read(
        request, principal, record_ids=record_ids, party_ids=case.get("party_ids") or []
    )
    return readside.for_caller(principal, view)


def _worklist_item(case: dict, today: date) -> dict:
    return {
        **{
            k: case.get(k)
            for k in (
                "case_id",
                "case_number",
                "title",
                "item_code",
                "status",
                "applicant",
                "channel",
                "assigned_to",
                "submitted_at",
                "promised_due",
                "statutory_due",
            )
        },
        "overdue": readside.is_overdue(case, today),
        "version": case.get("aggregate_version"),
    }


@router.get(
    "/worklist",
    response={200: WorklistOut, **PROBLEMS},
    summary="Open cases of the clerk's department and region",
    description="Soonest statutory due day first (cases not yet accepted have none and come last).",
    operation_id="api_routers_case_queries_worklist",
)
def worklist(request: HttpRequest, params: Query[WorklistParams]):
    principal = require(request, "clerk")
    today = readside.today()
    body = readside.build(
        worklist_body,
        readside.scope_of(principal),
        today=today,
        status=params.status,
        assigned_to=principal.sub if params.assigned_to == "me" else None,
        overdue=params.overdue,
        page=params.page,
        size=params.size,
    )
    consistent = readside.consistent(params.consistent_after, ["cases"])
    response = readside.search(["cases"], body)
    cases = readside.hits(response)
    access.record_staff_read(
        request,
        principal,
        record_ids=[c["case_id"] for c in cases],
        party_ids=access.party_ids_of(cases),
    )
    return {
        "total": readside.total(response),
        "page": params.page,
        "size": params.size,
        "items": [_worklist_item(c, today) for c in cases],
        "consistent": consistent,
    }
