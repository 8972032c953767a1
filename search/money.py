"""Queries of the finance office: the payments that moved money on a day (Asia/Shanghai), and
the gateways' reconciliations. Both are read whole, page after page (`search_after`), since
their sums are computed by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

PAGE = 1000
PAYMENT_SOURCE = ["payment_id", "department", "kind", "gateway", "movements"]


def day_payments_body(
    day: date,
    *,
    gateway: str | None = None,
    department: str | None = None,
    transaction_refs: Sequence[str] = (),
    payment_ids: Sequence[str] = (),
    after: Any = None,
    size: int = PAGE,
) -> dict:
    """Payments with a settlement or refund on `day` (of `gateway`, of `department`), and,
    for a statement, every payment one of its lines names by transaction ref or id."""
    on_day: list[dict] = [{"term": {"movement_days": day.isoformat()}}]
    if gateway is not None:
        on_day.append({"term": {"gateway": gateway}})
    should: list[dict] = [{"bool": {"filter": on_day}}]
    if transaction_refs:
        should.append({"terms": {"transaction_ref": list(transaction_refs)}})
    if payment_ids:
        should.append({"terms": {"payment_id": list(payment_ids)}})
    filters: list[dict] = [
        {"term": {"type": "payment"}},
        {"bool": {"should": should, "minimum_should_match": 1}},
    ]
    if department is not None:
        filters.append({"term": {"department": department}})
    body: dict = {
        "query": {"bool": {"filter": filters}},
        "size": size,
        "sort": [{"payment_id": "asc"}],
        "_source": PAYMENT_SOURCE,
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = after
    return body


def reconciliations_body(day: date | None, status: str | None, *, start: int, size: int) -> dict:
    filters: list[dict] = [{"term": {"type": "reconciliation"}}]
    if day is not None:
        filters.append({"term": {"date": day.isoformat()}})
    if status is not None:
        filters.append({"term": {"status": status}})
    return {
        "query": {"bool": {"filter": filters}},
        "from": start,
        "size": size,
        "track_total_hits": True,
        "sort": [{"date": "desc"}, {"gateway": "asc"}, {"sequence": "desc"}],
        "_source": {"excludes": ["exceptions"]},
    }


def current_reconciliations_body(day: date) -> dict:
    """The day's reconciliation of every gateway that is not superseded."""
    return {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"type": "reconciliation"}},
                    {"term": {"date": day.isoformat()}},
                ],
                "must_not": [{"term": {"status": "superseded"}}],
            }
        },
        "size": PAGE,
        "_source": ["reconciliation_id", "gateway", "status", "sequence"],
    }
