"""Read model of cases: one document per case, with the scoping fields copied in."""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require, shanghai_day
from projections.personal import party, personal_data_erased, refs_of, scoping

NAME = "cases"


def _step(document: Document, envelope: Envelope) -> None:
    document.setdefault("timeline", []).append(
        {
            "step": envelope["event_type"],
            "at": envelope["occurred_at"],
            "role": (envelope.get("actor") or {}).get("role"),
        }
    )


def _handler(change):
    def handle(document: Document | None, envelope: Envelope) -> Document:
        if change is not submitted:
            document = require(document, NAME)
        document = change(document, envelope["data"], envelope)
        _step(document, envelope)
        return document

    handle.__name__ = change.__name__
    return handle


def submitted(_: Document | None, data: dict, envelope: Envelope) -> Document:
    item = data["item"]
    applicant = party(data["applicant"], refs_of(data), "applicant")
    return {
        "type": "case",
        "case_number": data["case_number"],
        "title": item["name"],
        "item_code": item["code"],
        "item_name": item["name"],
        "item_type": item["item_type"],
        "item_revision": item["revision"],
        "fee_fen": item["fee_fen"],
        "licence_type": item["licence_type"],
        "statutory_days": item["statutory_days"],
        "promised_days": item["promised_days"],
        "department": envelope["department"],
        "region_code": data["region_code"],
        "applicant": applicant,
        **scoping(applicant),
        "channel": data["channel"],
        "materials": [m["code"] for m in data["materials"]],
        "required_materials": [m["code"] for m in item["materials"] if m.get("required")],
        "status": "submitted",
        "submitted_at": envelope["occurred_at"],
        "submitted_on": shanghai_day(envelope["occurred_at"]),
        "status_before_request": None,
        "requested_materials": [],
        "assigned_to": None,
        "accepted_on": None,
        "promised_due": None,
        "statutory_due": None,
        "calendar_version": None,
        "suspended_on": None,
        "promised_remaining": None,
        "statutory_remaining": None,
        "extended_days": 0,
        "decision": None,
        "decided_on": None,
        "on_time": None,
        "licence_id": None,
        "licence_number": None,
        "payments": [],
        "fee_payment_id": None,
        "rating": None,
        "closing_reason": "",
        "timeline": [],
    }


def materials_requested(d: Document, data: dict, _: Envelope) -> Document:
    d["status_before_request"] = d["status"]
    d["status"] = "materials_requested"
    d["requested_materials"] = list(data["codes"])
    d["materials_note"] = data.get("note", "")
    return d


def materials_supplemented(d: Document, data: dict, _: Envelope) -> Document:
    codes = [m["code"] for m in data["materials"]]
    d["materials"] = sorted(set(d["materials"]) | set(codes))
    d["status"] = d.get("status_before_request") or "submitted"
    d["status_before_request"] = None
    d["requested_materials"] = []
    return d


def accepted(d: Document, data: dict, _: Envelope) -> Document:
    d.update(
        status="accepted",
        accepted_on=data["accepted_on"],
        promised_due=data["promised_due"],
        statutory_due=data["statutory_due"],
        calendar_version=data["calendar_version"],
    )
    return d


def refused(d: Document, data: dict, envelope: Envelope) -> Document:
    d.update(
        status="refused",
        closing_reason=data["reason"],
        decided_on=shanghai_day(envelope["occurred_at"]),
    )
    return d


def assigned(d: Document, data: dict, _: Envelope) -> Document:
    d["assigned_to"] = data["clerk_sub"]
    return d


def suspended(d: Document, data: dict, _: Envelope) -> Document:
    d.update(
        status="suspended",
        suspended_on=data["suspended_on"],
        suspension_reason=data["reason"],
        promised_remaining=data["promised_remaining"],
        statutory_remaining=data["statutory_remaining"],
    )
    return d


def resumed(d: Document, data: dict, _: Envelope) -> Document:
    d.update(
        status="accepted",
        promised_due=data["promised_due"],
        statutory_due=data["statutory_due"],
        calendar_version=data["calendar_version"],
        suspended_on=None,
        promised_remaining=None,
        statutory_remaining=None,
    )
    return d


def extended(d: Document, data: dict, _: Envelope) -> Document:
    d["extended_days"] += data["days"]
    if data.get("statutory_due") is None:
        d["statutory_remaining"] = (d.get("statutory_remaining") or 0) + data["days"]
    else:
        d["statutory_due"] = data["statutory_due"]
        d["calendar_version"] = data["calendar_version"]
    return d


def payment_linked(d: Document, data: dict, _: Envelope) -> Document:
    d["payments"].append(
        {"payment_id": data["payment_id"], "kind": data["kind"], "amount_fen": data["amount_fen"]}
    )
    if data["kind"] == "fee":
        d["fee_payment_id"] = data["payment_id"]
    return d


def decided(d: Document, data: dict, envelope: Envelope) -> Document:
    decided_on = shanghai_day(envelope["occurred_at"])
    on_time = bool(d.get("statutory_due") and decided_on <= d["statutory_due"])
    d.update(
        status=data["outcome"],
        decided_on=decided_on,
        on_time=on_time,
        decision={
            "outcome": data["outcome"],
            "reasons": data["reasons"],
            "legal_basis": data["legal_basis"],
            "decided_at": envelope["occurred_at"],
        },
        licence_id=data.get("licence_id"),
        licence_number=data.get("licence_number"),
    )
    return d


def withdrawn(d: Document, data: dict, _: Envelope) -> Document:
    d.update(status="withdrawn", closing_reason=data.get("reason", ""))
    return d


def rated(d: Document, data: dict, _: Envelope) -> Document:
    d["rating"] = {"score": data["score"], "comment": data.get("comment", "")}
    return d


def erased(d: Document, data: dict, _: Envelope) -> Document:
    return personal_data_erased(d, data)


PROJECTION = Projection(
    document_type="case",
    name=NAME,
    aggregate_type="Case",
    id_field="case_id",
    handlers={
        "CaseSubmitted": _handler(submitted),
        "CaseMaterialsRequested": _handler(materials_requested),
        "CaseMaterialsSupplemented": _handler(materials_supplemented),
        "CaseAccepted": _handler(accepted),
        "CaseRefused": _handler(refused),
        "CaseAssigned": _handler(assigned),
        "CaseSuspended": _handler(suspended),
        "CaseResumed": _handler(resumed),
        "CaseExtended": _handler(extended),
        "CasePaymentLinked": _handler(payment_linked),
        "CaseDecided": _handler(decided),
        "CaseWithdrawn": _handler(withdrawn),
        "CaseRated": _handler(rated),
        "PersonalDataErased": _handler(erased),
    },
)
