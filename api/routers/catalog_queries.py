"""The public catalogue of service items: one item by code, and a search by name,
department, level and region (no token needed)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api.routers import readside
from api.schemas.common import PROBLEMS, Department, RegionCode
from search.queries import Scope, by_id_body, catalog_body

router = Router(tags=["catalogue"])

FIELDS = (
    "code",
    "name",
    "item_type",
    "department",
    "level",
    "region_code",
    "conditions",
    "materials",
    "steps",
    "statutory_days",
    "promised_days",
    "fee_fen",
    "legal_basis",
    "licence_type",
    "licence_valid_days",
    "status",
    "revision",
    "published_at",
    "withdrawn_reason",
)


class CatalogItemOut(Schema):
    code: str
    name: str | None = None
    item_type: str | None = None
    department: str | None = None
    level: str | None = None
    region_code: str | None = None
    conditions: str | None = None
    materials: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    statutory_days: int | None = None
    promised_days: int | None = None
    fee_fen: int | None = None
    legal_basis: str | None = None
    licence_type: str | None = None
    licence_valid_days: int | None = None
    status: str | None = None
    revision: int | None = None
    published_at: str | None = None
    withdrawn_reason: str | None = None
    version: int | None = None
    position: int | None = None


class CatalogItemViewOut(CatalogItemOut):
    consistent: bool


class CatalogListOut(Schema):
    total: int
    page: int
    size: int
    items: list[CatalogItemOut]
    consistent: bool


class CatalogParams(Schema):
    q: str | None = Field(None, max_length=200, description="name, code or words of the item")
    department: Department | None = None
    level: Literal["province", "city", "county"] | None = None
    region_code: RegionCode | None = Field(None, description="items available in this region")
    include_withdrawn: bool = False
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
    consistent_after: int | None = Field(None, ge=0, le=2**62)


class ConsistentIn(Schema):
    consistent_after: int | None = Field(None, ge=0, le=2**62)


def _item(doc: dict) -> dict:
    return {
        **{k: doc.get(k) for k in FIELDS},
        "materials": doc.get("materials") or [],
        "steps": doc.get("steps") or [],
        "version": doc.get("aggregate_version"),
        "position": doc.get("position"),
    }


@router.get(
    "/catalog/items/{code}",
    response={200: CatalogItemViewOut, **PROBLEMS},
    auth=None,
    summary="One service item by its code (public)",
)
def get_item(request: HttpRequest, code: str, params: Query[ConsistentIn]):
    consistent = readside.consistent(params.consistent_after, ["catalog"])
    doc = readside.one(
        "catalog", by_id_body("code", code.strip()[:32], Scope(role="public"), public=True)
    )
    return {**_item(doc), "consistent": consistent}


@router.get(
    "/catalog/items",
    response={200: CatalogListOut, **PROBLEMS},
    auth=None,
    summary="Search the catalogue (public)",
)
def list_items(request: HttpRequest, params: Query[CatalogParams]):
    body = readside.build(
        catalog_body,
        q=params.q,
        department=params.department,
        level=params.level,
        region_code=params.region_code,
        include_withdrawn=params.include_withdrawn,
        page=params.page,
        size=params.size,
    )
    consistent = readside.consistent(params.consistent_after, ["catalog"])
    response = readside.search(["catalog"], body)
    return {
        "total": readside.total(response),
        "page": params.page,
        "size": params.size,
        "items": [_item(d) for d in readside.hits(response)],
        "consistent": consistent,
    }
