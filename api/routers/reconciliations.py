"""Reconciliation with the payment gateways (`/reconciliations`) and the finance office's daily
report (`/finance/daily`): docs/api.md, "Reconciliation".

A gateway posts its statement of a day as CSV. The payments it concerns are found in the
payments read model, once that has applied everything the event store held when the statement
arrived (else 503, nothing recorded); the command then loads each of them from the event store
and compares the statement with what was recorded there.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from ninja.errors import HttpError

from api import readside
from api.auth import require
from api.command_support import IdempotencyKey, answer, app, idempotency
from api.schemas.common import PROBLEMS
from api.schemas.reconciliations import (
    DailyOut,
    DailyParams,
    ListParams,
    ReconciliationOut,
    ReconciliationPageOut,
    ReconciliationViewOut,
    ResolvedOut,
    ResolveIn,
    StatementParams,
    ViewParams,
)
from domain.errors import InvalidInput
from domain.model.payment import KINDS
from domain.model.statement import Line, digest, parse_statement
from search.money import current_reconciliations_body, day_payments_body, reconciliations_body
from search.queries import page_window

router = Router(tags=["reconciliations"])
finance_router = Router(tags=["finance"])

READERS = ("finance", "auditor")
MAX_STATEMENT_BYTES = 16 * 1024 * 1024
RECONCILIATION_ID = Path(..., description="a reconciliation's UUID")
EXCEPTION_ID = Path(..., max_length=12, pattern=r"^E[1-9][0-9]{0,9}$", examples=["E1"])


@router.post(
    "",
    response={200: ReconciliationOut, 201: ReconciliationOut, **PROBLEMS},
    summary="Reconcile a gateway's statement of a day (gateway; body text/csv)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "transaction_ref,payment_id,type,amount_fen,fee_fen,settled_at\n"
                    "UP20260301000001,,pay,5000,30,2026-03-01T10:15:00+08:00\n",
                }
            },
        }
    },
)
def reconcile(
    request: HttpRequest,
    response: HttpResponse,
    params: Query[StatementParams],
    idempotency_key: str | None = IdempotencyKey,
):
    statement = _statement(request)
    lines = parse_statement(statement)  # 422 before the role, as for every body
    principal = require(request, "gateway")
    candidates = _statement_payments(principal.sub, params.date, lines)
    outcome = app().reconcile_statement(
        gateway=principal.sub,
        day=params.date,
        statement=statement,
        candidates=candidates,
        actor=principal.actor(),
        idempotency=idempotency(
            request,
            principal,
            idempotency_key,
            {"date": params.date.isoformat(), "file_sha256": digest(statement)},
        ),
    )
    return answer(outcome, response)


def _statement(request: HttpRequest) -> bytes:
    """The body, read from the stream: `request.body` stops at Django's limit for form and JSON
    bodies (2.5 MB), and a day's statement is larger."""
    too_big = InvalidInput("body", f"must be at most {MAX_STATEMENT_BYTES} bytes")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_STATEMENT_BYTES:
        raise too_big
    data = request.read(MAX_STATEMENT_BYTES + 1)
    if len(data) > MAX_STATEMENT_BYTES:
        raise too_big
    return data


def _statement_payments(gateway: str, day: date, lines: list[Line]) -> list[UUID]:
    """Ids of the payments the gateway settled or refunded on `day`, and of those the lines
    name, from the payments read model once it has caught up with the event store."""
    if not readside.consistent(app().max_position(), ["payments"]):
        raise HttpError(
            503, "The payments read model is behind the event store; nothing was recorded."
        )
    body = day_payments_body(
        day,
        gateway=gateway,
        transaction_refs=sorted({line.transaction_ref for line in lines}),
        payment_ids=sorted({str(line.payment_id) for line in lines if line.payment_id}),
    )
    return [UUID(p["payment_id"]) for p in _all_pages(body)]


def _all_pages(body: dict) -> list[dict]:
    found: list[dict] = []
    while True:
        response = readside.search(["payments"], body)
        hits = response["hits"]["hits"]
        found += [h["_source"] for h in hits]
        if len(hits) < body["size"]:
            return found
        body = {**body, "search_after": hits[-1]["sort"]}


@router.post(
    "/{reconciliation_id}/exceptions/{exception_id}/resolve",
    response={200: ResolvedOut, **PROBLEMS},
    summary="Resolve an exception of a reconciliation (finance)",
)
def resolve_exception(
    request: HttpRequest,
    response: HttpResponse,
    payload: ResolveIn,
    reconciliation_id: UUID = RECONCILIATION_ID,
    exception_id: str = EXCEPTION_ID,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "finance")
    outcome = app().resolve_reconciliation_exception(
        reconciliation_id=reconciliation_id,
        exception_id=exception_id,
        resolution=payload.resolution,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.get(
    "",
    response={200: ReconciliationPageOut, **PROBLEMS},
    summary="Reconciliations, newest day first (finance, auditor)",
)
def list_reconciliations(request: HttpRequest, params: Query[ListParams]):
    require(request, *READERS)
    start, size = readside.build(page_window, params.page, params.size)
    consistent = readside.consistent(params.consistent_after, ["reconciliations"])
    response = readside.search(
        ["reconciliations"],
        reconciliations_body(params.date, params.status, start=start, size=size),
    )
    return {
        "total": readside.total(response),
        "page": params.page,
        "size": params.size,
        "items": [_item(d) for d in readside.hits(response)],
        "consistent": consistent,
    }


@router.get(
    "/{reconciliation_id}",
    response={200: ReconciliationViewOut, **PROBLEMS},
    summary="One reconciliation with its exceptions (finance, auditor)",
)
def get_reconciliation(
    request: HttpRequest, params: Query[ViewParams], reconciliation_id: UUID = RECONCILIATION_ID
):
    require(request, *READERS)
    consistent = readside.consistent(params.consistent_after, ["reconciliations"])
    key = str(reconciliation_id)
    found = readside.get_many("reconciliations", [key]).get(key)
    if found is None:
        raise readside.not_found()
    return {
        **_item(found),
        "file_sha256": found["file_sha256"],
        "exceptions": found["exceptions"],
        "consistent": consistent,
    }


def _item(document: dict) -> dict:
    return {**document, "version": document["aggregate_version"]}


@finance_router.get(
    "/daily",
    response={200: DailyOut, **PROBLEMS},
    summary="Money of a day per department, and whether every gateway's day is reconciled "
    "(finance, analyst)",
)
def daily(request: HttpRequest, params: Query[DailyParams]):
    require(request, "finance", "analyst")
    consistent = readside.consistent(params.consistent_after, ["payments", "reconciliations"])
    day = params.date
    payments = _all_pages(day_payments_body(day, department=params.department))
    current = readside.hits(readside.search(["reconciliations"], current_reconciliations_body(day)))
    status_of = {r["gateway"]: r for r in current}
    rows: dict[str, dict[str, Any]] = defaultdict(_department_row)
    every_gateway: set[str] = set()
    for payment in payments:
        row = rows[payment["department"]]
        for movement in payment.get("movements") or ():
            if movement["day"] != day.isoformat():
                continue
            if movement["type"] == "pay":
                row["received_fen"][payment["kind"]] += movement["amount_fen"]
                row["gateway_fees_fen"] += movement["fee_fen"] or 0
            else:
                row["refunded_fen"] += movement["amount_fen"]
        if payment.get("gateway"):
            row["gateways"].add(payment["gateway"])
            every_gateway.add(payment["gateway"])
    if params.department is None:
        every_gateway.update(status_of)  # a gateway that sent a file for a day without money

    def reconciled(gateway: str) -> bool:
        return status_of.get(gateway, {}).get("status") == "reconciled"

    departments = []
    for department, row in sorted(rows.items()):
        received = sum(row["received_fen"].values())
        departments.append(
            {
                **row,
                "department": department,
                "net_fen": received - row["refunded_fen"] - row["gateway_fees_fen"],
                "gateways": sorted(row["gateways"]),
                "reconciled": all(reconciled(g) for g in row["gateways"]),
            }
        )
    gateways = [
        {
            "gateway": g,
            "reconciliation_id": status_of.get(g, {}).get("reconciliation_id"),
            "status": status_of.get(g, {}).get("status"),
            "reconciled": reconciled(g),
        }
        for g in sorted(every_gateway)
    ]
    return {
        "date": day,
        "currency": "CNY",
        "departments": departments,
        "gateways": gateways,
        "reconciled": all(g["reconciled"] for g in gateways),
        "consistent": consistent,
    }


def _department_row() -> dict[str, Any]:
    return {
        "received_fen": dict.fromkeys(KINDS, 0),
        "refunded_fen": 0,
        "gateway_fees_fen": 0,
        "gateways": set(),
    }
