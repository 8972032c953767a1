"""Parties (a person or a business) and their credit record.

A party is a value, not an aggregate: it appears in cases, payments, violations and
licences. Its credit record is derived from those aggregates and the clock (unpaid overdue
fines, revoked licences, how often it paid on time), so it is never
stored and never stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import shanghai_date
from domain.identifiers import mask_id, mask_name, party_kind_of
from domain.model.base import validate_party
from domain.model.licence import REVOKED, Licence
from domain.model.payment import Payment


@dataclass(frozen=True)
class Party:
    party_id: str
    kind: str
    name: str

    @classmethod
    def from_dict(cls, data: dict, *, field: str = "party") -> Party:
        clean = validate_party(data, field=field)
        return cls(party_id=clean["party_id"], kind=clean["kind"], name=clean["name"])

    def as_dict(self) -> dict:
        return {"party_id": self.party_id, "kind": self.kind, "name": self.name}

    def masked(self) -> dict:
        if self.kind == "business":
            return self.as_dict()
        return {"party_id": mask_id(self.party_id), "kind": self.kind, "name": mask_name(self.name)}


def kind_of(party_id: str) -> str:
    return party_kind_of(party_id)


def credit_record(
    party_id: str,
    *,
    payments: list[Payment] | tuple[Payment, ...] = (),
    licences: Iterable[Licence] = (),
    now: datetime,
) -> dict:
    """The credit record of ``party_id`` from the aggregates that mention it.

    ``standing`` is "good" with nothing against the party, "warning" with unpaid overdue
    fines, "poor" with a revoked licence.
    """
    overdue_fines = [
        {
            "payment_id": str(p.id),
            "amount_fen": p.amount_fen,
            "due_date": p.due_date,
            "violation_id": str(p.violation_id) if p.violation_id else None,
        }
        for p in payments
        if p.payer_party_id == party_id and p.kind == "fine" and p.is_overdue(now)
    ]
    revoked = [
        {"licence_number": lic.number, "reason": lic.reason}
        for lic in licences
        if lic.holder.get("party_id") == party_id and lic.status == REVOKED
    ]
    settled = [
        p
        for p in payments
        if p.payer_party_id == party_id and p.is_settled and p.settled_at is not None
    ]
    on_time = sum(1 for p in settled if shanghai_date(p.settled_at) <= p.due_date)
    standing = "poor" if revoked else "warning" if overdue_fines else "good"
    return {
        "party_id": party_id,
        "standing": standing,
        "unpaid_overdue_fines": overdue_fines,
        "unpaid_overdue_fines_fen": sum(f["amount_fen"] for f in overdue_fines),
        "revoked_licences": revoked,
        "payments_settled": len(settled),
        "payments_settled_on_time": on_time,
    }
