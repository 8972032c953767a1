"""What an application must look like: its channel, its materials against the item's, its
form (the API bounds the form's size and depth before it gets here)."""

from __future__ import annotations

from typing import Any

from domain.errors import Conflict, InvalidInput
from domain.model.base import optional_text, required_text

CHANNELS = ("web", "app", "wechat", "hall", "hotline", "kiosk")


def validate_materials(
    materials: Any, known_codes: list[str], *, field: str = "materials"
) -> list[dict]:
    """A case's ``[{code, document_ref}]`` against its item's material codes."""
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


def validate_submission(
    item: dict, channel: Any, materials: Any, form: Any
) -> tuple[list[dict], dict]:
    """The clean materials and form of a case of ``item`` (``ServiceItem.case_terms()``)."""
    if channel not in CHANNELS:
        raise InvalidInput("channel", f"must be one of {', '.join(CHANNELS)}")
    clean = validate_materials(materials or [], [m["code"] for m in item["materials"]])
    form = form or {}
    if not isinstance(form, dict) or not all(isinstance(k, str) for k in form):
        raise InvalidInput("form", "must be an object with text keys")
    return clean, form


def check_rating(rating: dict | None, score: Any, comment: Any) -> dict:
    """A citizen rates a decided case once, 1 to 5, with an optional comment."""
    if rating is not None:
        raise Conflict(
            f"This case was already rated ({rating['score']} of 5); a case is rated once."
        )
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidInput("score", "must be a whole number from 1 to 5")
    return {"score": score, "comment": optional_text(comment, "comment", max_len=1000)}
