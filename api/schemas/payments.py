"""Payment commands: a clerk's charge, the gateway's settlement, refunds, cancellation."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field, model_validator

from api.schemas.common import CommandIn, Fen, FenOrZero, PartyId, ShortText, Text, TransitionIn


class ReferenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    case_id: UUID | None = None
    violation_id: UUID | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> ReferenceIn:
        if (self.case_id is None) == (self.violation_id is None):
            raise ValueError("name exactly one of case_id or violation_id")
        return self


class ChargeIn(CommandIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount_fen": 2000,
                    "payer_party_id": "510104199005011231",
                    "reference": {"case_id": "0b8c3c2e-8a4f-4f7e-9a53-3f0d1c1f2a11"},
                    "due_date": "2026-03-31",
                }
            ]
        }
    )

    amount_fen: Fen
    payer_party_id: PartyId
    reference: ReferenceIn
    due_date: date


class SettleIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "unionpay",
                    "transaction_ref": "UP20260301123456789",
                    "amount_fen": 5000,
                    "fee_fen": 30,
                }
            ]
        }
    )

    channel: str = Field(min_length=1, max_length=50)
    transaction_ref: ShortText
    amount_fen: Fen
    fee_fen: FenOrZero | None = Field(None, description="the gateway's fee, if it tells it")


class RefundIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount_fen": 1000, "reason": "多收费用退还"}]}
    )

    amount_fen: Fen
    reason: Text


class CancelIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "开具有误"}]})

    reason: Text


class PaymentOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "5d3e1b9a-3c0e-4a39-8f0e-2b8f6f0f5c21",
                    "status": "settled",
                    "version": 2,
                    "position": 88,
                }
            ]
        }
    )

    payment_id: UUID
    status: str
    version: int
    position: int | None
