"""Types shared by the command schemas.

The schemas check shape, types, bounds and enumerations, so bad input of any shape is a
422 naming its field before the domain is called. The domain still checks the rules that
need state (materials of the item, amounts due, transitions).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import orjson
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, JsonValue

from domain.identifiers import party_id_problem

MAX_VERSION = 2**31 - 1
# 10 billion yuan: more than any fee or fine, far below the 64-bit limit of the store.
MAX_FEN = 10**12
MAX_FORM_BYTES = 32 * 1024
MAX_FORM_DEPTH = 8
INT64 = 2**63


def _party_id(value: str) -> str:
    problem = party_id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _plain_json(value: Any, depth: int = 0) -> Any:
    """Only values the event store's orjson transcoder keeps exactly."""
    if depth > MAX_FORM_DEPTH:
        raise ValueError(f"must not nest deeper than {MAX_FORM_DEPTH} levels")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise ValueError("numbers must fit in 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite")
        return value
    if isinstance(value, list):
        return [_plain_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: _plain_json(v, depth + 1) for k, v in value.items()}
    raise ValueError("must be plain JSON")


def _form(value: dict[str, Any]) -> dict[str, Any]:
    _plain_json(value)
    if len(orjson.dumps(value)) > MAX_FORM_BYTES:
        raise ValueError(f"must be at most {MAX_FORM_BYTES} bytes as JSON")
    return value


PartyId = Annotated[
    str, Field(max_length=18, examples=["510104199005011231"]), AfterValidator(_party_id)
]
Version = Annotated[int, Field(strict=True, ge=1, le=MAX_VERSION)]
Fen = Annotated[int, Field(strict=True, ge=1, le=MAX_FEN, description="integer fen (CNY)")]
FenOrZero = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, description="integer fen (CNY)")]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", examples=["510100"])]
Department = Annotated[
    str,
    Field(max_length=64, pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", examples=["market-regulation"]),
]
ShortText = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=2000)]
LongText = Annotated[str, Field(max_length=4000)]
Form = Annotated[dict[str, JsonValue], AfterValidator(_form)]


class CommandIn(Schema):
    """Every command body: unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")


class TransitionIn(CommandIn):
    """A command on an existing aggregate; `expected_version` guards against lost updates."""

    expected_version: Version | None = Field(
        None, description="when given and not the current version: 409 with the current version"
    )


class ProblemFieldOut(Schema):
    field: str
    message: str


class ProblemOut(Schema):
    """`application/problem+json` (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldOut] | None = None


# Every operation is rate limited (docs/api.md, "Rate limits"): 429 with `Retry-After`.
PROBLEMS: dict[int, type[Schema]] = {
    code: ProblemOut for code in (400, 401, 403, 404, 409, 422, 429, 503)
}
