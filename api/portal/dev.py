"""Development only (404 under production settings): the people the demo sign-in offers.

The sign-in page lets a developer act as a real party of the seeded data: citizens with a
payment due, a valid or a revoked licence, or a recent application, a person representing one
of those businesses, and clerks of the departments and regions those cases belong to. They are
read from the read models (the same Elasticsearch documents the API reads), never invented.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from api import readside
from api.auth import dev_subject
from api.config import get_config
from domain.identifiers import is_resident_id
from domain.reference import DEPARTMENTS

PER_KIND = 3


def _docs(model: str, filters: list[dict], sort_field: str, size: int = 20) -> list[dict]:
    body = {
        "query": {"bool": {"filter": filters}},
        "size": size,
        "sort": [{sort_field: {"order": "desc", "unmapped_type": "date"}}],
    }
    return readside.hits(readside.search([model], body))


def demo_people() -> dict:
    citizens: dict[str, dict] = {}

    def add(party: dict | None, note: str, limit: int = PER_KIND) -> None:
        taken = sum(1 for c in citizens.values() if c["note"] == note)
        if party and party.get("party_id") and party["party_id"] not in citizens and taken < limit:
            citizens[party["party_id"]] = {
                "party_id": party["party_id"],
                "name": party.get("name") or "",
                "kind": party.get("kind") or "",
                "note": note,
            }

    for doc in _docs(
        "payments",
        [{"term": {"type": "payment"}}, {"term": {"status": "requested"}}],
        "requested_at",
    ):
        payer = doc.get("payer_party_id") or ""
        add(
            {
                "party_id": payer,
                "name": doc.get("payer_name"),
                "kind": "person" if is_resident_id(payer) else "business",
            },
            "payment_due",
        )
    for doc in _docs(
        "licences", [{"term": {"type": "licence"}}, {"term": {"status": "revoked"}}], "issued_at"
    ):
        add(doc.get("holder"), "licence_revoked")
    for doc in _docs(
        "licences", [{"term": {"type": "licence"}}, {"term": {"status": "active"}}], "issued_at"
    ):
        add(doc.get("holder"), "licence_valid")
    cases = _docs("cases", [{"term": {"type": "case"}}], "submitted_at", size=50)
    for doc in cases:
        add(doc.get("applicant"), "recent_case")
    # A business is represented by a natural person: their token's `sub` is the person (their
    # opaque development subject, never the identity number), its `party_id` the business
    # (docs/api.md, "Authentication").
    people = [c for c in citizens.values() if c["kind"] == "person"]
    businesses = [c for c in citizens.values() if c["kind"] == "business"][:PER_KIND]
    for business in businesses if people else []:
        citizens[f"{business['party_id']}+rep"] = {
            **business,
            "note": "representative",
            "sub": dev_subject("citizen", people[0]["party_id"]),
        }
    clerks: dict[tuple[str, str], dict] = {}
    for doc in cases:
        key = (doc.get("department") or "", doc.get("region_code") or "")
        if all(key) and key not in clerks and len(clerks) < 6:
            clerks[key] = {
                "department": key[0],
                "department_name": DEPARTMENTS.get(key[0], key[0]),
                "region_code": key[1],
                "sub": f"clerk-{key[0]}-{key[1]}-1",
            }
    return {
        "citizens": list(citizens.values()),
        "clerks": list(clerks.values()),
        "auditors": [{"sub": "auditor-demo"}],
        "analysts": [{"sub": "analyst-demo"}],
    }


@require_GET
def people(request: HttpRequest) -> JsonResponse:
    if get_config().is_production:
        raise Http404("No such endpoint.")
    return JsonResponse(demo_people(), json_dumps_params={"ensure_ascii": False})
