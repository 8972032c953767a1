"""The legal basis of a decision: the law and the article it rests on.

Stored as ``{"law": ..., "article": ...}`` (``article`` may be empty: a whole law). The API
still takes the plain text it always took; :func:`from_text` maps it, and old events stored
as text are upcast with the same function, so both roads give the same structure:

- ``《中华人民共和国食品安全法》第三十五条`` -> law ``中华人民共和国食品安全法``, article
  ``第三十五条`` (the first title in 《》 is the law, everything after it the article);
- ``食品安全法第三十五条第一款`` -> law ``食品安全法``, article ``第三十五条第一款`` (the
  article starts at the first ``第…条``);
- anything else -> the whole text is the law, the article is empty.

Nothing is dropped: :func:`as_text` of the structure gives the text back (with 《》 added
around the law).
"""

from __future__ import annotations

import re
from typing import Any

from domain.errors import InvalidInput

MAX_LENGTH = 2000
_TITLED = re.compile(r"^《(?P<law>[^》]+)》(?P<article>.*)$", re.DOTALL)
_ARTICLE = re.compile(
    r"^(?P<law>.+?)(?P<article>第[0-9０-９零〇一二两三四五六七八九十百千]+条.*)$", re.DOTALL
)


def from_text(text: str) -> dict[str, str] | None:
    """The structure of a plain-text legal basis; None for an empty text."""
    text = text.strip()
    if not text:
        return None
    match = _TITLED.match(text) or _ARTICLE.match(text)
    if match is None:
        return {"law": text, "article": ""}
    return {"law": match["law"].strip(), "article": match["article"].strip()}


def as_text(basis: dict[str, str] | None) -> str:
    if not basis:
        return ""
    return f"《{basis['law']}》{basis['article']}"


def upcast_text(state: dict[str, Any]) -> None:
    """The upcaster of an event whose v1 held the text ("" for none) in ``legal_basis`` and
    whose v2 holds {law, article} or None: for the store's mapper and, on envelopes already on
    the bus, for the projections (plain JSON either way)."""
    state["legal_basis"] = from_text(state.get("legal_basis") or "")


class DecisionSnapshots:
    """For an aggregate whose state holds ``decision.legal_basis``: state v2 holds {law,
    article}, so a snapshot taken before (v1, the text) is upcast when it is loaded."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        if state.get("decision"):
            upcast_text(state["decision"])


def legal_basis(value: Any, *, required: bool, field: str = "legal_basis") -> dict[str, str] | None:
    """A legal basis given as text or as ``{law, article}``; None when absent and not required."""
    if value is None or value == "":
        if required:
            raise InvalidInput(field, "is required: name the law and article the decision rests on")
        return None
    if isinstance(value, str):
        if len(value) > MAX_LENGTH:
            raise InvalidInput(field, f"must be at most {MAX_LENGTH} characters")
        return legal_basis(from_text(value), required=required, field=field)
    if not isinstance(value, dict) or set(value) - {"law", "article"}:
        raise InvalidInput(field, "must be text or an object {law, article}")
    law, article = value.get("law"), value.get("article") or ""
    if not isinstance(law, str) or not law.strip():
        raise InvalidInput(f"{field}.law", "is required")
    if not isinstance(article, str):
        raise InvalidInput(f"{field}.article", "must be text")
    for name, text in (("law", law), ("article", article)):
        if len(text) > MAX_LENGTH:
            raise InvalidInput(f"{field}.{name}", f"must be at most {MAX_LENGTH} characters")
    return {"law": law.strip().removeprefix("《").removesuffix("》"), "article": article.strip()}


# What the demo seeder, the load harnesses and the tests cite when nothing more specific applies:
# the Administrative Licensing Law's articles on refusing an application (32) and on a
# decision not to grant (38).
REFUSAL = "《中华人民共和国行政许可法》第三十二条"
REJECTION = "《中华人民共和国行政许可法》第三十八条"
