"""The catalogue of service items (`/catalog/items`).

Anyone reads it without a token: one item by code, and a search by name, department, level
and region. An admin publishes, revises and withdraws items.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from api import readside
from api.auth import require
from api.command_support import IdempotencyKey, answer, app, idempotency
from api.schemas.catalog import ItemIn, ItemOut, ItemRevisionIn
from api.schemas.common import MAX_VERSION, PROBLEMS, Department, RegionCode, Text
from domain.model.retention import default_rule
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
    "retention",
    "successor_code",
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
    retention: dict[str, Any] | None = None
    successor_code: str | None = None
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


class WithdrawQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = ""
    expected_version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = None


def _item(doc: dict) -> dict:
    return {
        **{k: doc.get(k) for k in FIELDS},
        "retention": doc.get("retention") or default_rule(),
        "materials": doc.get("materials") or [],
        "steps": doc.get("steps") or [],
        "version": doc.get("aggregate_version"),
        "position": doc.get("position"),
    }


@router.get(
    "/items/{code}",
    response={200: CatalogItemViewOut, **PROBLEMS},
    auth=None,
    summary="One service item by its code (public)",
    operation_id="api_routers_catalog_queries_get_item",
)
def get_item(request: HttpRequest, code: str, params: Query[ConsistentIn]):
    consistent = readside.consistent(params.consistent_after, ["catalog"])
    doc = readside.one(
        "catalog", by_id_body("code", code.strip()[:32], Scope(role="public"), public=True)
    )
    return {**_item(doc), "consistent": consistent}


@router.get(
    "/items",
    response={200: CatalogListOut, **PROBLEMS},
    auth=None,
    summary="Search the catalogue (public)",
    operation_id="api_routers_catalog_queries_list_items",
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


@router.post(
    "/items",
    response={201: ItemOut, **PROBLEMS},
    summary="Publish a service item (admin)",
    operation_id="api_routers_catalog_commands_publish_item",
)
def publish_item(
    request: HttpRequest,
    response: HttpResponse,
    payload: ItemIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "admin")
    terms = payload.model_dump(exclude={"code"})
    outcome = app().publish_item(
        code=payload.code,
        actor=principal.actor(),
        **terms,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.put(
    "/items/{code}",
    response={200: ItemOut, **PROBLEMS},
    summary="Revise a service item (admin)",
    operation_id="api_routers_catalog_commands_revise_item",
)
def revise_item(
    request: HttpRequest,
    response: HttpResponse,
    code: str,
    payload: ItemRevisionIn,
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "admin")
    terms = payload.model_dump(exclude={"expected_version"})
    outcome = app().revise_item(
        code=code,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        **terms,
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)


@router.delete(
    "/items/{code}",
    response={200: ItemOut, **PROBLEMS},
    summary="Withdraw a service item: no new cases (admin)",
    operation_id="api_routers_catalog_commands_withdraw_item",
)
def withdraw_item(
    request: HttpRequest,
    response: HttpResponse,
    code: str,
    query: Query[WithdrawQuery],
    idempotency_key: str | None = IdempotencyKey,
):
    principal = require(request, "admin")
    outcome = app().withdraw_item(
        code=code,
        actor=principal.actor(),
        reason=query.reason,
        expected_version=query.expected_version,
        idempotency=idempotency(request, principal, idempotency_key, query.model_dump(mode="json")),
    )
    return answer(outcome, response)
