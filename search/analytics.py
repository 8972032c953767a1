"""Query builders of the analyst's dashboard: counts, durations and revenue per group.

Plain dict bodies of aggregations, like `search.queries`; the analytics router pages through
composite buckets and computes working-day durations with the calendar (no scripts run on the
cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from search.queries import (
    DECIDED_STATUSES,
    OPEN_STATUSES,
    BadQuery,
    date_range,
    overdue_filter,
    region_filter,
)

CASE_GROUPS = {
    "department": "department",
    "item": "item_code",
    "status": "status",
    "channel": "channel",
    "region": "region_code",
}
REVENUE_GROUPS = {"department": "department", "kind": "kind"}
INTERVALS = {"day": "yyyy-MM-dd", "week": "yyyy-MM-dd", "month": "yyyy-MM"}
PAID_STATUSES = ("settled", "partially_refunded", "refunded")


def analytics_filters(
    *,
    department: str | None = None,
    region_code: str | None = None,
    item: str | None = None,
    date_field: str,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> list[dict]:
    filters: list[dict] = []
    if department:
        filters.append({"term": {"department": department}})
    if region_code:
        filters.append(region_filter(region_code))
    if item:
        filters.append({"term": {"item_code": item}})
    dates = date_range(date_field, date_from, date_to)
    if dates:
        filters.append(dates)
    return filters


def case_counts_body(
    group_by: str,
    *,
    today: date,
    filters: Sequence[dict] = (),
    after: dict | None = None,
    page_size: int = 500,
) -> dict:
    """Counts per group in one pass: composite buckets with filter and metric sub-aggregations."""
    if group_by not in CASE_GROUPS:
        raise BadQuery("group_by", f"must be one of {', '.join(CASE_GROUPS)}")
    composite: dict = {
        "size": page_size,
        "sources": [{"group": {"terms": {"field": CASE_GROUPS[group_by]}}}],
    }
    if after:
        composite["after"] = after
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"term": {"type": "case"}}, *filters]}},
        "aggs": {
            "groups": {
                "composite": composite,
                "aggs": {
                    "decided": {"filter": {"terms": {"status": list(DECIDED_STATUSES)}}},
                    "approved": {"filter": {"term": {"status": "approved"}}},
                    "rejected": {"filter": {"term": {"status": "rejected"}}},
                    "open": {"filter": {"terms": {"status": list(OPEN_STATUSES)}}},
                    "overdue": {"filter": overdue_filter(today)},
                    "timed": {"filter": {"exists": {"field": "on_time"}}},
                    "on_time": {"filter": {"term": {"on_time": True}}},
                    "rating": {"avg": {"field": "rating.score"}},
                },
            }
        },
    }


def durations_body(
    group_by: str, *, filters: Sequence[dict] = (), after: dict | None = None, page_size: int = 1000
) -> dict:
    """(group, submitted day, decided day) -> count of decided cases; working days are
    counted from these pairs with the calendar (no scripts on this cluster)."""
    if group_by not in CASE_GROUPS:
        raise BadQuery("group_by", f"must be one of {', '.join(CASE_GROUPS)}")
    composite: dict = {
        "size": page_size,
        "sources": [
            {"group": {"terms": {"field": CASE_GROUPS[group_by]}}},
            {"start": {"terms": {"field": "submitted_on"}}},
            {"end": {"terms": {"field": "decided_on"}}},
        ],
    }
    if after:
        composite["after"] = after
    return {
        "size": 0,
        "query": {
            "bool": {
                "filter": [
                    {"term": {"type": "case"}},
                    {"terms": {"status": list(DECIDED_STATUSES)}},
                    *filters,
                ]
            }
        },
        "aggs": {"pairs": {"composite": composite}},
    }


def revenue_body(group_by: str, interval: str, *, filters: Sequence[dict] = ()) -> dict:
    """Paid and refunded fen per group and per day or month of settlement (Asia/Shanghai)."""
    if group_by not in REVENUE_GROUPS:
        raise BadQuery("group_by", f"must be one of {', '.join(REVENUE_GROUPS)}")
    if interval not in ("day", "month"):
        raise BadQuery("interval", "must be day or month")
    return {
        "size": 0,
        "query": {
            "bool": {
                "filter": [
                    {"term": {"type": "payment"}},
                    {"terms": {"status": list(PAID_STATUSES)}},
                    *filters,
                ]
            }
        },
        "aggs": {
            "groups": {
                "terms": {"field": REVENUE_GROUPS[group_by], "size": 1000},
                "aggs": {
                    "paid": {"sum": {"field": "paid_fen"}},
                    "refunded": {"sum": {"field": "refunded_fen"}},
                    "periods": {
                        "date_histogram": {
                            "field": "settled_at",
                            "calendar_interval": interval,
                            "time_zone": "Asia/Shanghai",
                            "min_doc_count": 1,
                            "format": "yyyy-MM-dd" if interval == "day" else "yyyy-MM",
                        },
                        "aggs": {
                            "paid": {"sum": {"field": "paid_fen"}},
                            "refunded": {"sum": {"field": "refunded_fen"}},
                        },
                    },
                },
            }
        },
    }


def throughput_body(
    interval: str,
    *,
    filters: Sequence[dict] = (),
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> dict:
    """Cases submitted and decided per day, week (from Monday) or month, each counted on its own
    day (`submitted_on`, `decided_on`: Asia/Shanghai days, so no time zone applies), and
    `date_from`/`date_to` bound each of those days."""
    if interval not in INTERVALS:
        raise BadQuery("interval", f"must be one of {', '.join(INTERVALS)}")

    def per_period(field: str, *extra: dict, aggs: dict | None = None) -> dict:
        bounds = date_range(field, date_from, date_to)
        histogram = {
            "date_histogram": {
                "field": field,
                "calendar_interval": interval,
                "min_doc_count": 1,
                "format": INTERVALS[interval],
            },
            **({"aggs": aggs} if aggs else {}),
        }
        return {
            "filter": {"bool": {"filter": [*extra, *([bounds] if bounds else [])]}},
            "aggs": {"periods": histogram},
        }

    return {
        "size": 0,
        "query": {"bool": {"filter": [{"term": {"type": "case"}}, *filters]}},
        "aggs": {
            "submitted": per_period("submitted_on", {"exists": {"field": "submitted_on"}}),
            "decided": per_period(
                "decided_on",
                {"terms": {"status": list(DECIDED_STATUSES)}},
                aggs={
                    "approved": {"filter": {"term": {"status": "approved"}}},
                    "on_time": {"filter": {"term": {"on_time": True}}},
                },
            ),
        },
    }
