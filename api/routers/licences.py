"""Electronic licences (`/licences/{licence_number}/...`).

Anyone holding a licence (or its QR code) can verify it without a token, with its number and
its verification code: licence numbers are sequential, so the number alone would let anyone
walk the register. A missing or wrong code answers exactly like an unknown number (docs/api.md,
"Licences"). The state is computed with the clock (expiry is not an event); the holder's name
is masked; every verification is recorded in the access log, so the holder can see it was
checked. The code itself is shown only to the holder and the issuing department
(`holder_fields`).

The issuing department's clerks (within their region) suspend, resume, revoke and renew.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema
from pydantic import Field

from api import access, readside
from api.auth import require
from api.command_support import (
    IdempotencyKey,
    answer,
    app,
    idempotency,
    in_clerk_scope,
    load,
)
from api.schemas.common import PROBLEMS
from api.schemas.licences import LicenceOut, LicenceReasonIn
from domain.model.licence import Licence, code_matches, licence_id
from search.queries import Scope, by_id_body

router = Router(tags=["licences"])

STATES = ("valid", "expired", "suspended", "revoked", "unknown")
MAX_NUMBER_CHARS = 64
MOVED = {200: LicenceOut, **PROBLEMS}
NUMBER = Path(..., max_length=40, examples=["SCL-2026-510100-00000042"])


class VerifyIn(Schema):
    code: str | None = Field(
        None,
        max_length=64,
        description="the licence's verification code, printed on it and carried in its QR code's "
        "`verify_url`; without the right code the answer is that of an unknown number",
    )
    consistent_after: int | None = Field(
        None, ge=0, le=2**62, description="wait (at most 5 s) until this position is applied"
    )


class HolderOut(Schema):
    name: str
    kind: str | None = None


class LicenceVerificationOut(Schema):
    licence_number: str
    state: str = Field(description="valid | expired | suspended | revoked | unknown")
    holder: HolderOut | None = None
    item: dict[str, str | None] | None = None
    licence_type: str | None = None
    department: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    checked_at: str
    verify_url: str
    consistent: bool


def verify_url(request: HttpRequest, number: str, code: str | None = None) -> str:
    """This endpoint's absolute URL for a licence, with its code when given (for the QR code)."""
    url = request.build_absolute_uri(f"/api/v1/licences/{quote(number, safe='')}/verify")
    return f"{url}?{urlencode({'code': code})}" if code else url


def holder_fields(request: HttpRequest, doc: dict) -> dict:
    """The code and the full `verify_url`, for the holder's and the issuing department's views."""
    code = doc.get("verification_code")
    return {
        "verification_code": code,
        "verify_url": verify_url(request, doc["licence_number"], code) if code else None,
    }


@router.get(
    "/{licence_number}/verify",
    response={200: LicenceVerificationOut, **PROBLEMS},
    auth=None,
    summary="Verify an electronic licence (public)",
    description="An unknown number, or a known one without its right `code`, answers `state: unknown` "
    "(200) with the same body, so the register cannot be walked by number. The holder's name is "
    "masked.",
    operation_id="api_routers_licence_queries_verify",
)
def verify(request: HttpRequest, licence_number: str, params: Query[VerifyIn]):
    number = licence_number.strip()[:MAX_NUMBER_CHARS]
    consistent = readside.consistent(params.consistent_after, ["licences"])
    found = readside.hits(
        readside.search(
            ["licences"], by_id_body("licence_number", number, Scope(role="public"), public=True)
        )
    )
    doc = found[0] if found else None
    # Compared in constant time, and with a stand-in when there is no such licence, so the
    # answer and its timing do not tell a wrong code from an unknown number.
    genuine = code_matches(doc.get("verification_code") if doc else None, params.code)
    moment: datetime = readside.now()
    verification = {
        "licence_number": number,
        "state": "unknown",
        "checked_at": moment.isoformat(),
        "verify_url": verify_url(request, number),
        "consistent": consistent,
    }
    if doc is not None and genuine:
        holder = doc.get("holder") or {}
        verification.update(
            licence_number=doc["licence_number"],
            state=readside.licence_state(doc, readside.today()),
            holder={
                "name": readside.masked_name(holder.get("name", "")),
                "kind": holder.get("kind"),
            },
            item={"code": doc.get("item_code"), "name": doc.get("item_name")},
            licence_type=doc.get("licence_type"),
            department=doc.get("department"),
            valid_from=doc.get("valid_from"),
            valid_until=doc.get("valid_until"),
            verify_url=verify_url(request, doc["licence_number"], doc["verification_code"]),
        )
    # Logged like any verification; a refused code is named for the auditors (never the code).
    refused = "" if genuine else (" code:wrong" if params.code else " code:missing")
    access.record(
        request,
        None,
        record_ids=[verification["licence_number"]],
        party_ids=access.party_ids_of(found),
        query=number + refused,
    )
    return verification


def _licence_command(
    request: HttpRequest,
    response: HttpResponse,
    number: str,
    payload: LicenceReasonIn | None,
    key: str | None,
    command: str,
):
    payload = payload or LicenceReasonIn()
    principal = require(request, "clerk")
    in_clerk_scope(principal, load(Licence, licence_id(number), "licence"), "licence", number)
    outcome = getattr(app(), command)(
        licence_number=number,
        reason=payload.reason,
        actor=principal.actor(),
        expected_version=payload.expected_version,
        idempotency=idempotency(request, principal, key, payload),
    )
    return answer(outcome, response)


@router.post(
    "/{licence_number}/suspend",
    response=MOVED,
    summary="Suspend an active licence (issuing clerk)",
    operation_id="api_routers_licence_commands_suspend_licence",
)
def suspend_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "suspend_licence"
    )


@router.post(
    "/{licence_number}/resume",
    response=MOVED,
    summary="Resume a suspended licence (issuing clerk)",
    operation_id="api_routers_licence_commands_resume_licence",
)
def resume_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn | None = None,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "resume_licence"
    )


@router.post(
    "/{licence_number}/revoke",
    response=MOVED,
    summary="Revoke a licence (issuing clerk)",
    operation_id="api_routers_licence_commands_revoke_licence",
)
def revoke_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "revoke_licence"
    )


@router.post(
    "/{licence_number}/renew",
    response=MOVED,
    summary="Renew a licence for another validity period (issuing clerk)",
    operation_id="api_routers_licence_commands_renew_licence",
)
def renew_licence(
    request: HttpRequest,
    response: HttpResponse,
    payload: LicenceReasonIn | None = None,
    licence_number: str = NUMBER,
    idempotency_key: str | None = IdempotencyKey,
):
    return _licence_command(
        request, response, licence_number, payload, idempotency_key, "renew_licence"
    )
