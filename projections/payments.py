"""Read model of payments (fees, fines, charges): one document per payment."""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require
from projections.personal import payer, personal_data_erased

NAME = "payments"


def requested(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    return {
        "type": "payment",
        "kind": data["kind"],
        "title": {"fee": "办理费用", "fine": "罚款", "charge": "收费"}.get(
            data["kind"], data["kind"]
        ),
        "amount_fen": data["amount_fen"],
        "currency": data["currency"],
        **payer(data),
        "case_id": data.get("case_id"),
        "violation_id": data.get("violation_id"),
        "due_date": data["due_date"],
        "department": e["department"],
        "region_code": data["region_code"],
        "status": "requested",
        "requested_at": e["occurred_at"],
        "paid_fen": 0,
        "refunded_fen": 0,
        "channel": None,
        "transaction_ref": None,
        "settled_at": None,
        "closing_reason": "",
    }


def settled(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    data = e["data"]
    d.update(
        status="settled",
        channel=data["channel"],
        transaction_ref=data["transaction_ref"],
        paid_fen=data["amount_fen"],
        settled_at=e["occurred_at"],
    )
    return d


def refunded(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d["refunded_fen"] += e["data"]["amount_fen"]
    d["status"] = "refunded" if d["refunded_fen"] >= d["paid_fen"] else "partially_refunded"
    d["closing_reason"] = e["data"]["reason"]
    return d


def cancelled(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="cancelled", closing_reason=e["data"]["reason"])
    return d


def erased(d: Document | None, e: Envelope) -> Document:
    return personal_data_erased(require(d, NAME), e["data"])


PROJECTION = Projection(
    document_type="payment",
    name=NAME,
    aggregate_type="Payment",
    id_field="payment_id",
    handlers={
        "PaymentRequested": requested,
        "PaymentSettled": settled,
        "PaymentRefunded": refunded,
        "PaymentCancelled": cancelled,
        "PersonalDataErased": erased,
    },
)
