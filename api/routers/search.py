"""`GET /search`: find any result across cases, payments, licences, violations and the catalogue."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api import access, readside
from api.auth import require
from api.schemas.common import PROBLEMS
from search.queries import (
    ID_FIELDS,
    SEARCH_TYPES,
    search_request,
    search_total,
    search_type_of,
)

router = Router(tags=["search"])

SearchType = Literal["case", "payment", "licence", "violation", "item"]
ROLES = ("citizen", "clerk", "auditor", "analyst", "admin")


class FacetOut(Schema):
    value: str
    count: int


class FacetsOut(Schema):
    type: list[FacetOut]
    department: list[FacetOut]
    status: list[FacetOut]


class HitOut(Schema):
    type: str
    id: str
    title: str | None = None
    status: str | None = None
    department: str | None = None
    updated_at: str | None = None
    number: str | None = Field(None, description="the case number of a case")
    degraded: bool = False
    highlight: dict[str, list[str]] = Field(default_factory=dict)


class SearchOut(Schema):
    total: int
    page: int
    size: int
    hits: list[HitOut]
    facets: FacetsOut
    consistent: bool


class SearchParams(Schema):
    q: str | None = Field(
        None, max_length=200, description="identifiers, Chinese names or Latin text"
    )
    type: SearchType | None = Field(None, description="only this kind of record")
    department: str | None = Field(None, max_length=64)
    status: str | None = Field(None, max_length=40)
    from_: date | None = Field(
        None, alias="from", description="updated on or after this day (Asia/Shanghai)"
    )
    to: date | None = Field(None, description="updated on or before this day (Asia/Shanghai)")
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
    consistent_after: int | None = Field(
        None, ge=0, le=2**62, description="wait (at most 5 s) until this position is searchable"
    )


def _facet(response: dict, name: str) -> list[dict]:
    buckets = response.get("aggregations", {}).get(name, {}).get("buckets", [])
    counts: dict[str, int] = {}
    for b in buckets:
        key = "item" if name == "type" and b["key"] == "catalog" else str(b["key"])
        counts[key] = counts.get(key, 0) + b["doc_count"]
    return [{"value": k, "count": v} for k, v in counts.items()]


def _hit(hit: dict) -> dict:
    source = hit["_source"]
    kind = search_type_of(source)
    return {
        "type": kind,
        "id": str(source.get(ID_FIELDS.get(kind, ""), hit["_id"]) or hit["_id"]),
        "title": source.get("title"),
        "status": source.get("status"),
        "department": source.get("department"),
        "updated_at": source.get("updated_at"),
        "number": source.get("case_number"),
        "degraded": bool(source.get("degraded")),
        "highlight": hit.get("highlight", {}),
    }


@router.get(
    "",
    response={200: SearchOut, **PROBLEMS},
    summary="Find any result",
    description="Exact identifiers rank first (a person's or business's identity number or full name "
    "included, through blind refs: part of a person's name finds nothing), then Chinese names and "
    "titles, then Latin text with typo tolerance. Only records in the caller's scope are searched; "
    "every search is recorded in the access log.",
    operation_id="api_routers_search_find",
)
def find(request: HttpRequest, params: Query[SearchParams]):
    principal = require(request, *ROLES)
    types = [params.type] if params.type else []
    asked = readside.build(
        search_request,
        q=params.q,
        scope=readside.scope_of(principal),
        blind=readside.blind_terms(params.q),
        types=types,
        department=params.department,
        status=params.status,
        date_from=params.from_,
        date_to=params.to,
        page=params.page,
        size=params.size,
    )
    models = [SEARCH_TYPES[t] for t in (types or SEARCH_TYPES)]
    consistent = readside.consistent(params.consistent_after, models)
    page, facets = readside.find(SEARCH_TYPES.values(), asked)
    raw = page["hits"]["hits"]
    access.record(
        request,
        principal,
        record_ids=[_hit(h)["id"] for h in raw],
        party_ids=access.party_ids_of(h["_source"] for h in raw),
        query=params.q or "",
    )
    return {
        "total": search_total(facets),
        "page": params.page,
        "size": params.size,
        "hits": [_hit(h) for h in raw],
        "facets": {name: _facet(facets, name) for name in ("type", "department", "status")},
        "consistent": consistent,
    }
