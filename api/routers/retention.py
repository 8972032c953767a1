"""The retention run (`/retention/run`, admin): destroy the closed cases whose action date under
a `destroy` rule is due (docs/api.md, "Retention"; docs/design.md, "Retention")."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from api.auth import require
from api.command_support import IdempotencyKey, answer, app, idempotency
from api.schemas.common import PROBLEMS

router = Router(tags=["retention"])


class RetentionRunIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"as_of": "2056-03-01"}]}
    )

    as_of: date | None = Field(
        None, description="destroy what is due on this day; default today (Asia/Shanghai)"
    )


class HeldOut(Schema):
    case_id: str
    reason: str


class RetentionRunOut(Schema):
    as_of: date
    destroyed: list[str] = Field(description="the case ids destroyed by this run")
    count: int
    held: list[HeldOut] = Field(description="due, but kept for now (a licence in force, a debt)")
    position: int | None = Field(description="the last tombstone's position, for consistent_after")


@router.post(
    "/run",
    response={200: RetentionRunOut, **PROBLEMS},
    summary="Destroy the closed cases whose retention ended (admin)",
    description="`as_of` after today (Asia/Shanghai) is 422. Running again destroys nothing twice; "
    "with the same `Idempotency-Key`, a repeat answers the first run's answer.",
    operation_id="api_routers_retention_run",
)
def run(
    request: HttpRequest,
    response: HttpResponse,
    payload: RetentionRunIn | None = None,
    idempotency_key: str | None = IdempotencyKey,
):
    payload = payload or RetentionRunIn()
    principal = require(request, "admin")
    outcome = app().run_retention(
        as_of=payload.as_of,
        actor=principal.actor(),
        idempotency=idempotency(request, principal, idempotency_key, payload),
    )
    return answer(outcome, response)
