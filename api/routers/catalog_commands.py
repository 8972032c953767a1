"""Catalogue commands (admin): publish, revise and withdraw service items."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from api.auth import require
from api.routers.command_support import IdempotencyKey, answer, app, idempotency
from api.schemas.catalog import ItemIn, ItemOut, ItemRevisionIn
from api.schemas.common import MAX_VERSION, PROBLEMS, Text

router = Router(tags=["catalogue"])


class WithdrawQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = ""
    expected_version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = None


@router.post(
    "/items", response={201: ItemOut, **PROBLEMS}, summary="Publish a service item (admin)"
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
    "/items/{code}", response={200: ItemOut, **PROBLEMS}, summary="Revise a service item (admin)"
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
