"""Who is told about an aggregate, and the facts about it that every notice names.

The one place that reads a party's personal data for notifications: the recipient's party
id from the aggregate (a case's applicant, a payment's payer, a licence's holder). It reads
the aggregate as the store hands it back (opened, when the store seals personal data), never
the Kafka envelope, and returns no name, address or number besides the recipient's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subject:
    """An aggregate as notifications see it: who is told, and what names it."""

    recipient: str  # the party id, the key of the inbox (docs/design.md, "Notifications")
    case_id: str | None = None
    case_number: str | None = None
    item: str | None = None
    payment_id: str | None = None
    payment_kind: str | None = None
    amount_fen: int | None = None
    due_date: str | None = None
    licence_number: str | None = None
    valid_until: str | None = None


def subject_of(aggregate: Any) -> Subject | None:
    """The subject of a case, payment or licence; None for anything else."""
    kind = type(aggregate).__name__
    if kind == "Case":
        return Subject(
            recipient=aggregate.applicant["party_id"],
            case_id=str(aggregate.id),
            case_number=aggregate.case_number,
            item=aggregate.item["name"],
        )
    if kind == "Payment":
        return Subject(
            recipient=aggregate.payer_party_id,
            case_id=str(aggregate.case_id) if aggregate.case_id else None,
            payment_id=str(aggregate.id),
            payment_kind=aggregate.kind,
            amount_fen=aggregate.amount_fen,
            due_date=aggregate.due_date.isoformat() if aggregate.due_date else None,
        )
    if kind == "Licence":
        return Subject(
            recipient=aggregate.holder["party_id"],
            case_id=str(aggregate.case_id),
            item=aggregate.item_name,
            licence_number=aggregate.number,
            valid_until=aggregate.valid_until.isoformat() if aggregate.valid_until else None,
        )
    return None
