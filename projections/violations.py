"""Read model of violations (penalty cases) and their fines."""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require
from projections.personal import party, personal_data_erased, refs_of, scoping

NAME = "violations"


def recorded(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    subject = party(data["party"], refs_of(data), "party")
    return {
        "type": "violation",
        "title": data["description"][:80],
        "party": subject,
        **scoping(subject),
        "description": data["description"],
        "location": data["location"],
        "region_code": data["region_code"],
        "occurred_at": data["occurred_at"],
        "fine_fen": data["fine_fen"],
        "legal_basis": data["legal_basis"],
        "department": e["department"],
        "status": "recorded",
        "recorded_at": e["occurred_at"],
        "fine_payment_id": None,
        "contest_reason": "",
        "outcome": None,
        "resolution_reason": "",
    }


def fine_requested(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="fine_requested", fine_payment_id=e["data"]["payment_id"])
    return d


def contested(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="contested", contest_reason=e["data"]["reason"])
    return d


def resolved(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="resolved", outcome=e["data"]["outcome"], resolution_reason=e["data"]["reason"])
    return d


def erased(d: Document | None, e: Envelope) -> Document:
    return personal_data_erased(require(d, NAME), e["data"])


PROJECTION = Projection(
    document_type="violation",
    name=NAME,
    aggregate_type="Violation",
    id_field="violation_id",
    handlers={
        "ViolationRecorded": recorded,
        "ViolationFineRequested": fine_requested,
        "ViolationContested": contested,
        "ViolationResolved": resolved,
        "PersonalDataErased": erased,
    },
)
