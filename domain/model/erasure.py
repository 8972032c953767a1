"""The record of one person's erasure (PIPL art. 47): what was erased, on what basis, by whom.

It holds no personal data: the person appears as their blind ref only (a keyed HMAC of the
identity number), which is also what makes the id deterministic, so erasing again answers
the same record. docs/design.md, "Personal data".
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.model.base import CasetrackAggregate, required_text

_NAMESPACE = UUID("0b3d4a59-8d2c-4c8e-9f61-5f0f7d3c2e11")


def erasure_id(party_ref: str) -> UUID:
    return uuid5(_NAMESPACE, party_ref)


class Erasure(CasetrackAggregate):
    record_name = "erasure"

    @staticmethod
    def create_id(party_ref: str) -> UUID:
        return erasure_id(party_ref)

    @classmethod
    def record(
        cls,
        *,
        party_ref: str,
        legal_basis: str,
        reason: str,
        erased: list[str],
        restricted: list[str],
        keys_deleted: int,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Erasure:
        return cls(
            party_ref=party_ref,
            legal_basis=required_text(legal_basis, "legal_basis", max_len=500),
            reason=required_text(reason, "reason", max_len=2000),
            erased=erased,
            restricted=restricted,
            keys_deleted=keys_deleted,
            department="",
            actor=actor,
            timestamp=timestamp,
        )

    @event("PartyErased")
    def __init__(
        self,
        *,
        party_ref: str,
        legal_basis: str,
        reason: str,
        erased: list[str],
        restricted: list[str],
        keys_deleted: int,
        department: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.party_ref = party_ref
        self.legal_basis = legal_basis
        self.reason = reason
        self.erased = erased
        self.restricted = restricted
        self.keys_deleted = keys_deleted
        self.department = department
        self.status = "erased"
        self.erased_at = timestamp
