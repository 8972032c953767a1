"""Erasure of a person's data (docs/api.md, "Personal data")."""

from __future__ import annotations

from ninja import Schema

from api.schemas.common import CommandIn, PartyId, ShortText, Text


class ErasureIn(CommandIn):
    party_id: PartyId
    legal_basis: ShortText
    reason: Text


class ErasureOut(Schema):
    erasure_id: str
    version: int
    status: str
    erased_records: int
    restricted_records: int
    keys_deleted: int
    erased_at: str | None
    position: int | None
