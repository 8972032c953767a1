"""Case commands: submission and every transition of a case (docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from api.schemas.common import (
    CommandIn,
    Department,
    Form,
    PartyId,
    RegionCode,
    ShortText,
    Text,
    TransitionIn,
)

Channel = Literal["web", "app", "wechat", "hall", "hotline", "kiosk"]
MaterialCode = Annotated[str, Field(max_length=32, examples=["LICENCE"])]


class ApplicantIn(Schema):
    model_config = ConfigDict(extra="forbid")

    party_id: PartyId
    kind: Literal["person", "business"]
    name: ShortText


class MaterialIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: MaterialCode
    document_ref: str = Field(max_length=500, examples=["doc-7f3a"])


class CaseIn(CommandIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "item_code": "510100-XK-0001",
                    "applicant": {
                        "party_id": "510104199005011231",
                        "kind": "person",
                        "name": "张小三",
                    },
                    "channel": "web",
                    "materials": [{"code": "LICENCE", "document_ref": "doc-licence"}],
                    "form": {"shop_name": "蜀味小馆"},
                }
            ]
        }
    )

    item_code: str = Field(max_length=32, examples=["510100-XK-0001"])
    applicant: ApplicantIn
    channel: Channel
    materials: list[MaterialIn] = Field(default_factory=list, max_length=100)
    form: Form = Field(default_factory=dict)


class RequestMaterialsIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"codes": ["LAYOUT"], "note": "请补充经营场所平面图"}]}
    )

    codes: list[MaterialCode] = Field(min_length=1, max_length=100)
    note: Text = ""


class SupplementMaterialsIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"materials": [{"code": "LAYOUT", "document_ref": "doc-layout"}]}]
        }
    )

    materials: list[MaterialIn] = Field(min_length=1, max_length=100)


class ReasonIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "申请事项不属于本机关职权范围"}]}
    )

    reason: Text


class OptionalReasonIn(TransitionIn):
    reason: Text = ""


class AssignIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"clerk_sub": "clerk-7"}]})

    clerk_sub: str = Field(min_length=1, max_length=200)


class ExtendIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"days": 10, "reason": "需要现场核查"}]}
    )

    days: int = Field(strict=True, ge=1, le=60, description="working days")
    reason: Text


class DecideIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "approved",
                    "reasons": "符合条件",
                    "legal_basis": "《食品安全法》第三十五条",
                    "expected_version": 4,
                }
            ]
        }
    )

    outcome: Literal["approved", "rejected"]
    reasons: Text = ""
    legal_basis: Text = ""


class TransferIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "department": "market-regulation",
                    "region_code": "510105",
                    "reason": "经营场所位于青羊区，应由青羊区市场监督管理局办理",
                }
            ]
        }
    )

    department: Department
    region_code: RegionCode
    reason: Text


class RateIn(TransitionIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"score": 5, "comment": "办理很快"}]})

    score: int = Field(strict=True, ge=1, le=5)
    comment: str = Field("", max_length=1000)


class CaseOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "0b8c3c2e-8a4f-4f7e-9a53-3f0d1c1f2a11",
                    "case_number": "SC-2026-510100-00000001",
                    "status": "submitted",
                    "version": 1,
                    "position": 57,
                }
            ]
        }
    )

    case_id: UUID
    case_number: str
    status: str
    version: int
    position: int | None


class CaseAcceptedOut(CaseOut):
    """Accepting a case of an item with a fee requests the fee in the same commit."""

    payment_id: UUID | None


class CaseDecidedOut(CaseOut):
    """Approving a case of an item with a licence type issues the licence in the same commit."""

    licence_number: str | None
