"""Read model of electronic licences: one document per licence.

The document keeps the licence's verification code for the verification endpoint and the
holder's own views. It is not mapped (`search/indices.py`), so it is never searched, matched
or highlighted, and the read side shows it only to the holder and the issuing department
(docs/api.md, "Licences").
"""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require
from projections.personal import party, personal_data_erased, refs_of, scoping

NAME = "licences"


def issued(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    holder = party(data["holder"], refs_of(data), "holder")
    return {
        "type": "licence",
        "licence_number": data["number"],
        "title": data["item_name"],
        "licence_type": data["licence_type"],
        "holder": holder,
        **scoping(holder),
        "item_code": data["item_code"],
        "item_name": data["item_name"],
        "case_id": data["case_id"],
        "valid_from": data["valid_from"],
        "valid_until": data.get("valid_until"),
        "valid_days": data.get("valid_days"),
        "department": e["department"],
        "region_code": data["region_code"],
        "status": "active",
        "issued_at": e["occurred_at"],
        "history": [],
        "verification_code": data.get("verification_code"),
    }


def _change(status: str | None):
    def handle(d: Document | None, e: Envelope) -> Document:
        d = require(d, NAME)
        if status is not None:
            d["status"] = status
        if "valid_until" in e["data"]:
            d["valid_until"] = e["data"]["valid_until"]
        if e["data"].get("verification_code"):  # a code given at renewal to a licence without one
            d["verification_code"] = e["data"]["verification_code"]
        d["history"].append(
            {"step": e["event_type"], "at": e["occurred_at"], "reason": e["data"].get("reason", "")}
        )
        return d

    return handle


def erased(d: Document | None, e: Envelope) -> Document:
    return personal_data_erased(require(d, NAME), e["data"])


PROJECTION = Projection(
    document_type="licence",
    name=NAME,
    aggregate_type="Licence",
    id_field="licence_id",
    handlers={
        "LicenceIssued": issued,
        "LicenceRenewed": _change(None),
        "LicenceSuspended": _change("suspended"),
        "LicenceResumed": _change("active"),
        "LicenceRevoked": _change("revoked"),
        "PersonalDataErased": erased,
    },
)
