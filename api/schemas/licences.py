"""Licence commands of the issuing department: suspend, resume, revoke, renew."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import ConfigDict

from api.schemas.common import Text, TransitionIn


class LicenceReasonIn(TransitionIn):
    """`reason` is required to suspend or revoke, optional to resume or renew."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "经营场所不再符合条件"}]})

    reason: Text = ""


class LicenceOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "licence_number": "SCL-2026-510100-00000042",
                    "status": "active",
                    "valid_until": "2031-02-28",
                    "version": 2,
                    "position": 120,
                }
            ]
        }
    )

    licence_number: str
    status: str
    valid_until: date | None
    version: int
    position: int | None
