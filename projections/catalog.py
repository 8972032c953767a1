"""Read model of the catalogue of service items ("one item, one standard, one code")."""

from __future__ import annotations

from domain.model.retention import default_rule
from projections.base import Document, Envelope, Projection, require

NAME = "catalog"


def _terms(d: Document, terms: dict) -> Document:
    d.update(
        {
            k: terms[k]
            for k in (
                "name",
                "item_type",
                "department",
                "level",
                "region_code",
                "conditions",
                "materials",
                "steps",
                "statutory_days",
                "promised_days",
                "fee_fen",
                "legal_basis",
                "licence_type",
                "licence_valid_days",
            )
        }
    )
    d["retention"] = terms.get("retention") or default_rule()
    d["successor_code"] = terms.get("successor_code")
    d["title"] = terms["name"]
    return d


def published(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    return _terms(
        {
            "type": "item",
            "code": data["code"],
            "status": "published",
            "revision": 1,
            "published_at": e["occurred_at"],
            "withdrawn_reason": "",
        },
        data["terms"],
    )


def revised(d: Document | None, e: Envelope) -> Document:
    d = _terms(require(d, NAME), e["data"]["terms"])
    d["revision"] = e["data"]["revision"]
    return d


def withdrawn(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="withdrawn", withdrawn_reason=e["data"].get("reason", ""))
    return d


PROJECTION = Projection(
    document_type="item",
    name=NAME,
    aggregate_type="ServiceItem",
    id_field="item_id",
    handlers={"ItemPublished": published, "ItemRevised": revised, "ItemWithdrawn": withdrawn},
)
