"""Public verification of electronic licences (`GET /licences/{licence_number}/verify`).

Anyone holding a licence (or its QR code) can check it without a token. The state is
computed with the clock (expiry is not an event); the holder's name is masked; every
verification is recorded in the access log, so the holder can see it was checked.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api import access
from api.routers import readside
from api.schemas.common import PROBLEMS
from domain.identifiers import mask_name
from search.queries import Scope, by_id_body

router = Router(tags=["licences"])

STATES = ("valid", "expired", "suspended", "revoked", "unknown")
MAX_NUMBER_CHARS = 64


class VerifyIn(Schema):
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


def licence_state(document: dict, today: date) -> str:
    status = document.get("status")
    if status == "revoked":
        return "revoked"
    if status == "suspended":
        return "suspended"
    until = document.get("valid_until")
    if until and today > date.fromisoformat(until):
        return "expired"
    return "valid"


def _verify_url(request: HttpRequest, number: str) -> str:
    return request.build_absolute_uri(f"/api/v1/licences/{number}/verify")


@router.get(
    "/licences/{licence_number}/verify",
    response={200: LicenceVerificationOut, **PROBLEMS},
    auth=None,
    summary="Verify an electronic licence (public)",
    description="An unknown number answers `state: unknown` (200), so the check works the same for every "
    "number. The holder's name is masked.",
)
def verify(request: HttpRequest, licence_number: str, params: Query[VerifyIn]):
    number = licence_number.strip()[:MAX_NUMBER_CHARS]
    consistent = readside.consistent(params.consistent_after, ["licences"])
    found = readside.hits(
        readside.search(
            ["licences"], by_id_body("licence_number", number, Scope(role="public"), public=True)
        )
    )
    moment: datetime = readside.now()
    answer = {
        "licence_number": number,
        "state": "unknown",
        "checked_at": moment.isoformat(),
        "verify_url": _verify_url(request, number),
        "consistent": consistent,
    }
    if found:
        doc = found[0]
        holder = doc.get("holder") or {}
        answer.update(
            licence_number=doc["licence_number"],
            state=licence_state(doc, readside.today()),
            holder={"name": mask_name(holder.get("name", "")), "kind": holder.get("kind")},
            item={"code": doc.get("item_code"), "name": doc.get("item_name")},
            licence_type=doc.get("licence_type"),
            department=doc.get("department"),
            valid_from=doc.get("valid_from"),
            valid_until=doc.get("valid_until"),
            verify_url=_verify_url(request, doc["licence_number"]),
        )
    access.record(
        request,
        None,
        record_ids=[answer["licence_number"]],
        party_ids=access.party_ids_of(found),
        query=number,
    )
    return answer
