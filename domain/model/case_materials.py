"""The materials of an application: (code, document reference) pairs checked against the
service item's list."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidInput
from domain.model.base import required_text


def validate_materials(
    materials: Any, known_codes: list[str], *, field: str = "materials"
) -> list[dict]:
    if not isinstance(materials, list):
        raise InvalidInput(field, "must be a list of {code, document_ref}")
    clean = []
    for i, m in enumerate(materials):
        if not isinstance(m, dict):
            raise InvalidInput(f"{field}[{i}]", "must be an object {code, document_ref}")
        code = m.get("code")
        if code not in known_codes:
            raise InvalidInput(
                f"{field}[{i}].code", f"'{code}' is not a material of this service item"
            )
        ref = required_text(m.get("document_ref"), f"{field}[{i}].document_ref", max_len=500)
        clean.append({"code": code, "document_ref": ref})
    return clean
