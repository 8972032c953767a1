"""A citizen's own records: `/me/cases|payments|licences|violations|credit|access-log`.

Every list is scoped to the party in the caller's token inside the query (through its blind
ref: the read models and the access log hold no party id in plaintext). The credit record
is composed at query time (unpaid fines become overdue with the clock, not with an event).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api import readside, wiring
from api.access import logged_party, logged_sub
from api.auth import require
from api.routers.licences import holder_fields
from api.schemas.common import PROBLEMS
from domain.calendar import shanghai_date
from domain.store.access_log import find_access
from search.queries import list_body

router = Router(tags=["me"])

MAX_CREDIT_RECORDS = 1000


class ListIn(Schema):
    status: str | None = Field(None, max_length=40)
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
    consistent_after: int | None = Field(
        None, ge=0, le=2**62, description="wait (at most 5 s) until this position is applied"
    )


class ConsistentIn(Schema):
    consistent_after: int | None = Field(None, ge=0, le=2**62)


class PageOut(Schema):
    total: int
    page: int
    size: int
    items: list[dict[str, Any]]
    consistent: bool


class CreditOut(Schema):
    party_id: str
    good_standing: bool
    unpaid_overdue_fines: dict[str, Any]
    revoked_licences: dict[str, Any]
    payment_record: dict[str, Any]
    checked_on: str
    consistent: bool


class MyAccessEntryOut(Schema):
    position: int
    at: str
    role: str
    sub: str
    department: str | None = None
    endpoint: str


class MyAccessLogOut(Schema):
    total: int
    page: int
    size: int
    items: list[MyAccessEntryOut]


def _unpaid_overdue(payment: dict, today: date) -> bool:
    due = payment.get("due_date")
    return payment.get("status") == "requested" and bool(due) and today > date.fromisoformat(due)


def _case(doc: dict, today: date) -> dict:
    return {
        **{
            k: doc.get(k)
            for k in (
                "case_id",
                "case_number",
                "title",
                "item_code",
                "status",
                "channel",
                "submitted_at",
                "promised_due",
                "statutory_due",
                "decided_on",
                "licence_number",
                "fee_payment_id",
                "rating",
            )
        },
        "overdue": readside.is_overdue(doc, today),
        "version": doc.get("aggregate_version"),
    }


def _payment(doc: dict, today: date) -> dict:
    return {
        **{
            k: doc.get(k)
            for k in (
                "payment_id",
                "kind",
                "title",
                "amount_fen",
                "currency",
                "status",
                "due_date",
                "paid_fen",
                "refunded_fen",
                "case_id",
                "violation_id",
                "settled_at",
                "department",
            )
        },
        "overdue": _unpaid_overdue(doc, today),
        "version": doc.get("aggregate_version"),
    }


def _licence(doc: dict, today: date) -> dict:
    return {
        **{
            k: doc.get(k)
            for k in (
                "licence_number",
                "title",
                "licence_type",
                "item_code",
                "status",
                "valid_from",
                "valid_until",
                "case_id",
                "department",
            )
        },
        "state": readside.licence_state(doc, today),
        "version": doc.get("aggregate_version"),
    }


def _violation(doc: dict, today: date) -> dict:
    return {
        **{
            k: doc.get(k)
            for k in (
                "violation_id",
                "title",
                "description",
                "location",
                "occurred_at",
                "status",
                "fine_fen",
                "fine_payment_id",
                "outcome",
                "department",
                "legal_basis",
            )
        },
        "version": doc.get("aggregate_version"),
    }


LISTS = {
    "cases": ("case", "submitted_at", _case),
    "payments": ("payment", "requested_at", _payment),
    "licences": ("licence", "issued_at", _licence),
    "violations": ("violation", "recorded_at", _violation),
}


def _my_list(request: HttpRequest, model: str, params: ListIn) -> dict:
    principal = require(request, "citizen")
    kind, newest, shape = LISTS[model]
    filters: list[dict] = [{"term": {"type": kind}}]
    if params.status:
        filters.append({"term": {"status": params.status}})
    body = readside.build(
        list_body,
        readside.scope_of(principal),
        filters=filters,
        sort=[{newest: {"order": "desc"}}],
        page=params.page,
        size=params.size,
    )
    consistent = readside.consistent(params.consistent_after, [model])
    response = readside.search([model], body)
    today = readside.today()
    items = []
    for doc in readside.hits(response):
        item = shape(doc, today)
        if model == "licences":  # the holder's own: the code and the QR's verify_url
            item.update(holder_fields(request, doc))
        items.append(item)
    return {
        "total": readside.total(response),
        "page": params.page,
        "size": params.size,
        "items": items,
        "consistent": consistent,
    }


@router.get(
    "/cases",
    response={200: PageOut, **PROBLEMS},
    summary="My applications, newest first",
    operation_id="api_routers_me_my_cases",
)
def my_cases(request: HttpRequest, params: Query[ListIn]):
    return _my_list(request, "cases", params)


@router.get(
    "/payments",
    response={200: PageOut, **PROBLEMS},
    summary="My fees, fines and charges",
    operation_id="api_routers_me_my_payments",
)
def my_payments(request: HttpRequest, params: Query[ListIn]):
    return _my_list(request, "payments", params)


@router.get(
    "/licences",
    response={200: PageOut, **PROBLEMS},
    summary="My electronic licences",
    operation_id="api_routers_me_my_licences",
)
def my_licences(request: HttpRequest, params: Query[ListIn]):
    return _my_list(request, "licences", params)


@router.get(
    "/violations",
    response={200: PageOut, **PROBLEMS},
    summary="Violations recorded against me",
    operation_id="api_routers_me_my_violations",
)
def my_violations(request: HttpRequest, params: Query[ListIn]):
    return _my_list(request, "violations", params)


def _all(model: str, scope, filters: list[dict]) -> list[dict]:
    body = list_body(scope, filters=filters, page=1, size=100)
    body["size"] = MAX_CREDIT_RECORDS
    body["from"] = 0
    return readside.hits(readside.search([model], body))


def credit_record(payments: list[dict], licences: list[dict], today: date) -> dict:
    """Unpaid overdue fines, revoked licences and the on-time record of settled payments."""
    overdue = [p for p in payments if p.get("kind") == "fine" and _unpaid_overdue(p, today)]
    revoked = [licence for licence in licences if licence.get("status") == "revoked"]
    settled = [p for p in payments if p.get("settled_at") and p.get("due_date")]
    on_time = [
        p
        for p in settled
        if shanghai_date(datetime.fromisoformat(p["settled_at"]))
        <= date.fromisoformat(p["due_date"])
    ]
    return {
        "good_standing": not overdue and not revoked,
        "unpaid_overdue_fines": {
            "count": len(overdue),
            "amount_fen": sum(p["amount_fen"] for p in overdue),
            "items": [
                {k: p.get(k) for k in ("payment_id", "violation_id", "amount_fen", "due_date")}
                for p in overdue
            ],
        },
        "revoked_licences": {
            "count": len(revoked),
            "items": [
                {k: lic.get(k) for k in ("licence_number", "title", "item_code")} for lic in revoked
            ],
        },
        "payment_record": {
            "settled": len(settled),
            "on_time": len(on_time),
            "late": len(settled) - len(on_time),
            "on_time_rate": round(len(on_time) / len(settled), 4) if settled else None,
        },
    }


@router.get(
    "/credit",
    response={200: CreditOut, **PROBLEMS},
    summary="My credit record",
    description="Unpaid fines past their due day, revoked licences, and whether payments were made on time.",
    operation_id="api_routers_me_my_credit",
)
def my_credit(request: HttpRequest, params: Query[ConsistentIn]):
    principal = require(request, "citizen")
    consistent = readside.consistent(params.consistent_after, ["payments", "licences"])
    scope = readside.scope_of(principal)
    today = readside.today()
    payments = _all("payments", scope, [{"term": {"type": "payment"}}])
    licences = _all("licences", scope, [{"term": {"type": "licence"}}])
    return {
        "party_id": principal.party_id,
        **credit_record(payments, licences, today),
        "checked_on": today.isoformat(),
        "consistent": consistent,
    }


class AccessLogIn(Schema):
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)


@router.get(
    "/access-log",
    response={200: MyAccessLogOut, **PROBLEMS},
    summary="Who read or found my records",
    description="Staff reads, searches and licence verifications that returned my records, newest first. "
    "Read from the access log table in the event store's database. Another citizen's `sub` is masked "
    "like an id; a staff member's is shown unless it is itself an identity number or a name.",
    operation_id="api_routers_me_my_access_log",
)
def my_access_log(request: HttpRequest, params: Query[AccessLogIn]):
    principal = require(request, "citizen")
    total, entries = find_access(
        wiring.application().store,
        party_id=logged_party(principal.party_id) if principal.party_id else None,
        exclude_sub=logged_sub(principal),
        offset=(params.page - 1) * params.size,
        limit=params.size,
    )
    return {
        "total": total,
        "page": params.page,
        "size": params.size,
        # Not the record ids or the query: one search may return other people's records too.
        # Entries come masked: a citizen's sub like an id, a staff sub whole unless it is an
        # identity number or a name (domain.store.access_log.mask_sub).
        "items": [
            {k: getattr(e, k) for k in ("position", "at", "role", "sub", "department", "endpoint")}
            for e in entries
        ],
    }


@router.get(
    "/data-export",
    response={200: dict, **PROBLEMS},
    summary="A copy of every record about me (PIPL art. 45)",
    description="Every record holding my data (cases, payments, licences, violations) with its "
    "whole history as stored, my data opened and anyone else's shown as `[another person]`, and "
    "who read or found my records (the access log, masked). Read from the event store.",
    operation_id="api_routers_me_data_export",
)
def data_export(request: HttpRequest):
    principal = require(request, "citizen")  # a citizen's token always names their party
    app = wiring.application()
    export = app.export_party(principal.party_id)
    _, entries = find_access(
        app.store, party_id=logged_party(principal.party_id), offset=0, limit=10_000
    )
    export["access_log"] = [
        {k: getattr(e, k) for k in ("position", "at", "role", "sub", "department", "endpoint")}
        for e in entries
    ]
    return export
