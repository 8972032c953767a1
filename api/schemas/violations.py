"""Violation commands: record (with its fine), contest, resolve."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field

from api.schemas.common import (
    CommandIn,
    FenOrZero,
    PartyId,
    RegionCode,
    ShortText,
    Text,
    TransitionIn,
)


class ViolationIn(CommandIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "party_id": "510104199005011231",
                    "party_name": "张小三",
                    "description": "机动车违反禁止标线指示",
                    "location": "成都市锦江区红星路三段",
                    "region_code": "510104",
                    "occurred_at": "2026-02-01T09:30:00+08:00",
                    "fine_fen": 20000,
                    "legal_basis": "《道路交通安全法》第九十条",
                }
            ]
        }
    )

    party_id: PartyId
    party_name: ShortText = ""
    description: Text
    location: str = Field(max_length=500)
    region_code: RegionCode
    occurred_at: AwareDatetime
    fine_fen: FenOrZero
    legal_basis: Text


class ContestIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "当时车辆已借给他人"}]})

    reason: Text


class ResolveIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "annulled", "reason": "证据不足"}]}
    )

    outcome: Literal["upheld", "annulled"]
    reason: Text = ""


class ViolationOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "violation_id": "9a1f0c3e-1111-4c1e-9d3b-cae7a5e70003",
                    "payment_id": "5d3e1b9a-3c0e-4a39-8f0e-2b8f6f0f5c21",
                    "status": "fine_requested",
                    "version": 2,
                    "position": 91,
                }
            ]
        }
    )

    violation_id: UUID
    payment_id: UUID | None
    status: str
    version: int
    position: int | None
