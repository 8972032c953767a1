"""What every command endpoint shares: the caller's idempotency request, the scope checks
on aggregates loaded from the event store (the write side never reads Elasticsearch), and
the answer; and the settlement that the payments and dev routers both make.

A record outside the caller's scope is answered exactly like a missing one (404), so an
answer never confirms that someone else's record exists.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar
from uuid import UUID

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Header, Schema, Status
from ninja.errors import AuthorizationError

from api import wiring
from api.auth import Principal
from domain.errors import InvalidInput, NotFound
from domain.identifiers import covers
from domain.services import Outcome

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# Declared on every command, so OpenAPI documents it and a malformed key is a 422.
IdempotencyKey = Header(
    None,
    alias=IDEMPOTENCY_HEADER,
    min_length=1,
    max_length=200,
    pattern=r"^[\x21-\x7e]+$",
    description="Retry-safe key: the same key and body answer the stored result and append nothing.",
)

A = TypeVar("A")


def app():
    """The process's `Casetrack` (looked up per call, so tests can swap it)."""
    return wiring.application()


# --- idempotency ------------------------------------------------------------------------


def request_hash(request: HttpRequest, payload: Schema | dict | None) -> str:
    """sha256 over the canonical JSON (sorted keys) of the path and the validated body."""
    if isinstance(payload, Schema):
        body = payload.model_dump(mode="json")
    else:
        body = payload or {}
    canonical = orjson.dumps({"path": request.path, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def idempotency(
    request: HttpRequest,
    principal: Principal,
    key: str | None,
    payload: Schema | dict | None = None,
):
    """The `IdempotencyRequest` of this call, or None without an `Idempotency-Key`.

    Scope: (caller `sub`, method and route template, key); the hash covers the path (so a
    key reused on another record is "another body") and the body.
    """
    from domain.store.records import IdempotencyRequest

    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidInput(
            IDEMPOTENCY_HEADER, "must be 1 to 200 visible ASCII characters without spaces"
        )
    match = request.resolver_match
    route = match.route if match is not None else request.path
    scope = f"{principal.sub}\n{request.method} /{route.lstrip('/')}"
    return IdempotencyRequest(scope=scope, key=key, request_hash=request_hash(request, payload))


def answer(outcome: Outcome, response: HttpResponse) -> Status:
    """The command's status and body; a replayed answer says so in a header."""
    if outcome.replayed:
        response[REPLAYED_HEADER] = "true"
    return Status(outcome.status, outcome.body)


# --- scope ------------------------------------------------------------------------------


def forbid(message: str) -> AuthorizationError:
    return AuthorizationError(message=message)


def clerk_covers(principal: Principal, department: str | None, region_code: str | None) -> bool:
    return (
        principal.role == "clerk"
        and principal.department == department
        and bool(principal.region_code)
        and covers(principal.region_code, region_code or "")
    )


def load(cls: type[A], aggregate_id: UUID, record: str) -> A:
    """The aggregate from the event store, or 404 when there is none of this type."""
    aggregate = app().load_or_none(aggregate_id)
    if not isinstance(aggregate, cls):
        raise NotFound(record=record, identifier=aggregate_id)
    return aggregate


def in_clerk_scope(principal: Principal, aggregate: Any, record: str, identifier: Any) -> None:
    """A clerk acts on records of their department within their region; others are 404."""
    if not clerk_covers(principal, aggregate.department, getattr(aggregate, "region_code", None)):
        raise NotFound(record=record, identifier=identifier)


def of_party(principal: Principal, party_id: str | None, record: str, identifier: Any) -> None:
    """A citizen acts on the records of the party in their token only; others are 404."""
    if principal.role != "citizen" or not principal.party_id or principal.party_id != party_id:
        raise NotFound(record=record, identifier=identifier)


# --- settlement -------------------------------------------------------------------------


def _first_settlement(outcome: Outcome, payment_id: UUID) -> Outcome:
    """A repeated settlement appends nothing; answer what the first one answered."""
    if not outcome.body.get("repeated"):
        return outcome
    version = outcome.body["version"]
    position = next(
        (e.position for e in app().read_stream(payment_id) if e.originator_version == version), None
    )
    body = {**outcome.body, "status": "settled", "position": position}
    body.pop("repeated")
    return Outcome(status=outcome.status, body=body, replayed=True)


def settle(
    request: HttpRequest,
    response: HttpResponse,
    payment_id: UUID,
    *,
    principal,
    channel: str,
    transaction_ref: str,
    amount_fen: int,
    expected_version: int | None,
    key,
    payload,
    fee_fen: int | None = None,
) -> Status:
    """Settle a payment (the gateway's, or development's simulated payer); settling the same
    transaction again answers the first settlement."""
    outcome = app().settle_payment(
        payment_id=payment_id,
        channel=channel,
        transaction_ref=transaction_ref,
        amount_fen=amount_fen,
        fee_fen=fee_fen,
        actor=principal.actor(channel),
        expected_version=expected_version,
        idempotency=idempotency(request, principal, key, payload),
    )
    return answer(_first_settlement(outcome, payment_id), response)
