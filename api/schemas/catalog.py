"""Catalogue commands: publish, revise, withdraw a service item."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from api.schemas.common import (
    CommandIn,
    Department,
    FenOrZero,
    LongText,
    RegionCode,
    ShortText,
    Text,
    Version,
)

ItemType = Literal[
    "administrative_licence",
    "administrative_confirmation",
    "administrative_payment",
    "administrative_penalty",
    "public_service",
    "other",
]
Days = Annotated[int, Field(strict=True, ge=0, le=365, description="working days")]

EXAMPLE = {
    "code": "510100-XK-0001",
    "name": "食品经营许可",
    "item_type": "administrative_licence",
    "department": "market-regulation",
    "level": "city",
    "region_code": "510100",
    "conditions": "有与经营食品相适应的场所",
    "materials": [
        {"code": "LICENCE", "name": "营业执照", "required": True},
        {"code": "LAYOUT", "name": "经营场所平面图", "required": True},
    ],
    "steps": ["申请", "受理", "审查", "决定"],
    "statutory_days": 20,
    "promised_days": 5,
    "fee_fen": 5000,
    "legal_basis": "《中华人民共和国食品安全法》第三十五条",
    "licence_type": "食品经营许可证",
    "licence_valid_days": 1825,
    "retention": {
        "disposition": "destroy",
        "years": 30,
        "legal_basis": "《机关文件材料归档范围和文书档案保管期限规定》",
    },
}


class ItemMaterialIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=32, examples=["LICENCE"])
    name: ShortText
    required: bool = True


class RetentionIn(Schema):
    """How long the item's closed cases are kept (docs/api.md, "Retention")."""

    model_config = ConfigDict(extra="forbid")

    disposition: Literal["permanent", "destroy"]
    years: Annotated[int, Field(strict=True, ge=1, le=100)] | None = Field(
        None, description="required with destroy; not allowed with permanent"
    )
    legal_basis: Text = ""


class ItemTermsIn(CommandIn):
    name: ShortText
    item_type: ItemType
    department: Department
    level: Literal["province", "city", "county"]
    region_code: RegionCode
    conditions: LongText = ""
    materials: list[ItemMaterialIn] = Field(default_factory=list, max_length=100)
    steps: list[ShortText] = Field(default_factory=list, max_length=100)
    statutory_days: Days
    promised_days: Days
    fee_fen: FenOrZero = 0
    legal_basis: LongText = ""
    licence_type: ShortText | None = None
    licence_valid_days: Annotated[int, Field(strict=True, ge=1, le=36600)] | None = None
    retention: RetentionIn | None = Field(
        None, description="absent or null: the default, destroy 30 years after closing"
    )
    successor_code: str | None = Field(
        None,
        max_length=32,
        description="the item that takes over this item's cases (a transfer may go to its "
        "department); null for none",
        examples=[None],
    )


class ItemIn(ItemTermsIn):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    code: str = Field(
        max_length=32, description=r"^\d{6}-[A-Z]{2}-[0-9A-Z]{4,8}$", examples=["510100-XK-0001"]
    )


class ItemRevisionIn(ItemTermsIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in EXAMPLE.items() if k != "code"},
                    "promised_days": 3,
                    "expected_version": 1,
                }
            ]
        }
    )

    expected_version: Version | None = None


class ItemOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "510100-XK-0001",
                    "version": 1,
                    "position": 42,
                    "status": "published",
                    "revision": 1,
                }
            ]
        }
    )

    code: str
    version: int
    position: int | None
    status: str
    revision: int
