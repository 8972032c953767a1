"""Analytics (analyst): counts, processing times and revenue from Elasticsearch aggregations.

Counts come from one composite aggregation per page of groups. Processing time is counted
in working days on the calendar (Asia/Shanghai, public holidays and make-up days), which no
aggregation can do without scripts: an aggregation returns (group, submitted day, decided
day) -> count, and the working days of each pair are counted here, weighted by its count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api import readside
from api.auth import require
from api.schemas.common import PROBLEMS, Department, RegionCode
from domain.calendar import DEFAULT_CALENDAR
from search.analytics import (
    analytics_filters,
    case_counts_body,
    durations_body,
    revenue_body,
    throughput_body,
)

router = Router(tags=["analytics"])

ANALYSTS = ("analyst", "admin")
DAY = 86_400_000


class CasesIn(Schema):
    group_by: Literal["department", "item", "status", "channel", "region"] = "department"
    department: Department | None = None
    region_code: RegionCode | None = None
    item: str | None = Field(None, max_length=32, description="an item code")
    from_: date | None = Field(None, alias="from", description="submitted on or after this day")
    to: date | None = Field(None, description="submitted on or before this day")
    consistent_after: int | None = Field(None, ge=0, le=2**62)


class CaseGroupOut(Schema):
    group: str
    submitted: int
    decided: int
    approved: int
    rejected: int
    open: int
    overdue: int
    median_days: float | None = Field(
        None, description="working days from submission to decision, median"
    )
    p90_days: float | None = Field(
        None, description="working days from submission to decision, 90th percentile"
    )
    on_time_rate: float | None = Field(
        None, description="decided within the statutory deadline / decided"
    )
    avg_rating: float | None = None


class CasesOut(Schema):
    group_by: str
    groups: list[CaseGroupOut]
    consistent: bool


class ThroughputIn(Schema):
    interval: Literal["day", "week", "month"] = "week"
    department: Department | None = None
    region_code: RegionCode | None = None
    item: str | None = Field(None, max_length=32, description="an item code")
    from_: date | None = Field(
        None, alias="from", description="submitted (decided) on or after this day"
    )
    to: date | None = Field(None, description="submitted (decided) on or before this day")
    consistent_after: int | None = Field(None, ge=0, le=2**62)


class ThroughputPeriodOut(Schema):
    period: str = Field(description="YYYY-MM-DD (a day, or the Monday of a week) or YYYY-MM")
    submitted: int = Field(description="cases submitted in the period")
    decided: int = Field(description="cases approved or rejected in the period")
    approved: int
    rejected: int
    on_time_rate: float | None = Field(
        None, description="of the cases decided in the period, the share decided by their due day"
    )


class ThroughputOut(Schema):
    interval: str
    periods: list[ThroughputPeriodOut]
    consistent: bool


class RevenueIn(Schema):
    group_by: Literal["department", "kind"] = "department"
    interval: Literal["day", "month"] = "month"
    department: Department | None = None
    region_code: RegionCode | None = None
    from_: date | None = Field(None, alias="from", description="settled on or after this day")
    to: date | None = Field(None, description="settled on or before this day")
    consistent_after: int | None = Field(None, ge=0, le=2**62)


class PeriodOut(Schema):
    period: str
    payments: int
    paid_fen: int
    refunded_fen: int
    net_fen: int


class RevenueGroupOut(Schema):
    group: str
    payments: int
    paid_fen: int
    refunded_fen: int
    net_fen: int
    periods: list[PeriodOut]


class RevenueOut(Schema):
    group_by: str
    interval: str
    currency: str = "CNY"
    groups: list[RevenueGroupOut]
    consistent: bool


def _day(key) -> date:
    """A composite key of a date field: epoch milliseconds."""
    return date.fromordinal(date(1970, 1, 1).toordinal() + int(key) // DAY)


def weighted_percentile(values: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile of `values` (value -> how many times it occurs)."""
    n = sum(values.values())
    if not n:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return float(value)
    return float(max(values))


def _composite(models: list[str], make, name: str):
    after = None
    while True:
        response = readside.search(models, make(after))
        agg = response["aggregations"][name]
        yield from agg["buckets"]
        after = agg.get("after_key")
        if not after or not agg["buckets"]:
            return


@router.get(
    "/cases",
    response={200: CasesOut, **PROBLEMS},
    summary="Case counts and processing times per group",
    operation_id="api_routers_analytics_cases",
)
def cases(request: HttpRequest, params: Query[CasesIn]):
    require(request, *ANALYSTS)
    today = readside.today()
    filters = analytics_filters(
        department=params.department,
        region_code=params.region_code,
        item=params.item,
        date_field="submitted_at",
        date_from=params.from_,
        date_to=params.to,
    )
    readside.build(case_counts_body, params.group_by, today=today, filters=filters)
    consistent = readside.consistent(params.consistent_after, ["cases"])
    groups: dict[str, dict] = {}
    for b in _composite(
        ["cases"],
        lambda after: case_counts_body(params.group_by, today=today, filters=filters, after=after),
        "groups",
    ):
        timed = b["timed"]["doc_count"]
        groups[str(b["key"]["group"])] = {
            "group": str(b["key"]["group"]),
            "submitted": b["doc_count"],
            "decided": b["decided"]["doc_count"],
            "approved": b["approved"]["doc_count"],
            "rejected": b["rejected"]["doc_count"],
            "open": b["open"]["doc_count"],
            "overdue": b["overdue"]["doc_count"],
            "on_time_rate": round(b["on_time"]["doc_count"] / timed, 4) if timed else None,
            "avg_rating": round(b["rating"]["value"], 2)
            if b["rating"]["value"] is not None
            else None,
            "median_days": None,
            "p90_days": None,
        }
    durations: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for b in _composite(
        ["cases"],
        lambda after: durations_body(params.group_by, filters=filters, after=after),
        "pairs",
    ):
        start, end = _day(b["key"]["start"]), _day(b["key"]["end"])
        durations[str(b["key"]["group"])][DEFAULT_CALENDAR.working_days_between(start, end)] += b[
            "doc_count"
        ]
    for group, values in durations.items():
        if group in groups:
            groups[group]["median_days"] = weighted_percentile(values, 0.5)
            groups[group]["p90_days"] = weighted_percentile(values, 0.9)
    return {
        "group_by": params.group_by,
        "groups": sorted(groups.values(), key=lambda g: g["group"]),
        "consistent": consistent,
    }


@router.get(
    "/throughput",
    response={200: ThroughputOut, **PROBLEMS},
    summary="Cases submitted and decided per day, week or month",
    description="Each case counts in the period of its submission and, once approved or "
    "rejected, in the period of its decision (Asia/Shanghai days; weeks start on Monday).",
    operation_id="api_routers_analytics_throughput",
)
def throughput(request: HttpRequest, params: Query[ThroughputIn]):
    require(request, *ANALYSTS)
    filters = analytics_filters(
        department=params.department,
        region_code=params.region_code,
        item=params.item,
        date_field="submitted_on",
    )
    body = readside.build(
        throughput_body, params.interval, filters=filters, date_from=params.from_, date_to=params.to
    )
    consistent = readside.consistent(params.consistent_after, ["cases"])
    aggregations = readside.search(["cases"], body)["aggregations"]
    periods: dict[str, dict] = defaultdict(
        lambda: {"submitted": 0, "decided": 0, "approved": 0, "rejected": 0, "on_time_rate": None}
    )
    for b in aggregations["submitted"]["periods"]["buckets"]:
        periods[b["key_as_string"]]["submitted"] = b["doc_count"]
    for b in aggregations["decided"]["periods"]["buckets"]:
        decided, approved = b["doc_count"], b["approved"]["doc_count"]
        periods[b["key_as_string"]].update(
            decided=decided,
            approved=approved,
            rejected=decided - approved,
            on_time_rate=round(b["on_time"]["doc_count"] / decided, 4),
        )
    return {
        "interval": params.interval,
        "periods": [{"period": p, **periods[p]} for p in sorted(periods)],
        "consistent": consistent,
    }


@router.get(
    "/revenue",
    response={200: RevenueOut, **PROBLEMS},
    summary="Money received per group and day or month",
    description="Settled payments by the day or month of settlement (Asia/Shanghai); refunds are counted "
    "against the period of the payment they refund.",
    operation_id="api_routers_analytics_revenue",
)
def revenue(request: HttpRequest, params: Query[RevenueIn]):
    require(request, *ANALYSTS)
    filters = analytics_filters(
        department=params.department,
        region_code=params.region_code,
        date_field="settled_at",
        date_from=params.from_,
        date_to=params.to,
    )
    body = readside.build(revenue_body, params.group_by, params.interval, filters=filters)
    consistent = readside.consistent(params.consistent_after, ["payments"])
    response = readside.search(["payments"], body)
    groups = []
    for b in response["aggregations"]["groups"]["buckets"]:
        paid, refunded = int(b["paid"]["value"]), int(b["refunded"]["value"])
        periods = [
            {
                "period": p["key_as_string"],
                "payments": p["doc_count"],
                "paid_fen": int(p["paid"]["value"]),
                "refunded_fen": int(p["refunded"]["value"]),
                "net_fen": int(p["paid"]["value"]) - int(p["refunded"]["value"]),
            }
            for p in b["periods"]["buckets"]
        ]
        groups.append(
            {
                "group": str(b["key"]),
                "payments": b["doc_count"],
                "paid_fen": paid,
                "refunded_fen": refunded,
                "net_fen": paid - refunded,
                "periods": periods,
            }
        )
    return {
        "group_by": params.group_by,
        "interval": params.interval,
        "groups": groups,
        "consistent": consistent,
    }
