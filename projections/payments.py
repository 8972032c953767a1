"""Read model of payments (fees, fines, charges): one document per payment.

`movements` lists the settlement and refunds with their day (Asia/Shanghai) and `gateway` is
who settled it, so the day's money of a gateway or a department is found by `movement_days`
(reconciliations, the finance office's daily report)."""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require, shanghai_day
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
        "gateway": None,
        "fee_fen": None,
        "movements": [],
        "movement_days": [],
    }


def settling_gateway(e: Envelope) -> str | None:
    """The gateway that settled (the actor's subject when the actor is a gateway): the one
    place this projection reads an actor's subject."""
    actor = e.get("actor") or {}
    return actor.get("subject") if actor.get("role") == "gateway" else None


def _moved(d: Document, e: Envelope, kind: str, amount_fen: int, fee_fen: int | None) -> None:
    day = shanghai_day(e["occurred_at"])
    d.setdefault("movements", []).append(
        {
            "type": kind,
            "amount_fen": amount_fen,
            "fee_fen": fee_fen,
            "at": e["occurred_at"],
            "day": day,
        }
    )
    d["movement_days"] = sorted({*d.get("movement_days", []), day})


def settled(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    data = e["data"]
    d.update(
        status="settled",
        channel=data["channel"],
        transaction_ref=data["transaction_ref"],
        paid_fen=data["amount_fen"],
        settled_at=e["occurred_at"],
        gateway=settling_gateway(e),
        fee_fen=data.get("fee_fen"),
    )
    _moved(d, e, "pay", data["amount_fen"], data.get("fee_fen"))
    return d


def refunded(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d["refunded_fen"] += e["data"]["amount_fen"]
    d["status"] = "refunded" if d["refunded_fen"] >= d["paid_fen"] else "partially_refunded"
    d["closing_reason"] = e["data"]["reason"]
    _moved(d, e, "refund", e["data"]["amount_fen"], None)
    return d


def cancelled(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="cancelled", closing_reason=e["data"]["reason"])
    return d


def erased(d: Document | None, e: Envelope) -> Document:
    return personal_data_erased(require(d, NAME), e["data"])


def destroyed(d: Document | None, e: Envelope) -> Document:
    """With its case: the payer goes, the amounts (a financial fact) stay."""
    d = require(d, NAME)
    d.update(
        payer_party_id=None,
        payer_name=None,
        payer_party_ref=None,
        payer_name_ref=None,
        party_ids=[],
        name_refs=[],
        closing_reason="",
        destroyed={"at": e["occurred_at"], "case_number": e["data"]["case_number"]},
    )
    return d


def transferred(d: Document | None, e: Envelope) -> Document:
    """The payment follows its case to the receiving department (the case's commit)."""
    d = require(d, NAME)
    d.update(department=e["department"], region_code=e["data"]["region_code"])
    return d


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
        "PaymentDestroyed": destroyed,
        "PaymentTransferred": transferred,
    },
)
