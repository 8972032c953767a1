"""Read model of reconciliations: one document per gateway statement checked
(domain/model/reconciliation.py), with its exceptions and their resolutions."""

from __future__ import annotations

from projections.base import Document, Envelope, Projection, require

NAME = "reconciliations"


def resolver(e: Envelope) -> str | None:
    """Who resolved an exception (the actor's subject, a finance officer): the one place this
    projection reads an actor's subject."""
    return (e.get("actor") or {}).get("subject")


def _status(d: Document) -> str:
    if d["status"] == "superseded":
        return "superseded"
    return "open" if d["open_exceptions"] else "reconciled"


def recorded(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    exceptions = [{**x, "resolution": None} for x in data["exceptions"]]
    d = {
        "type": "reconciliation",
        "title": f"{data['gateway']} {data['date']}",
        "gateway": data["gateway"],
        "date": data["date"],
        "sequence": data["sequence"],
        "file_sha256": data["file_sha256"],
        "lines": data["lines"],
        "matched": data["matched"],
        "exceptions": exceptions,
        "open_exceptions": len(exceptions),
        "totals": data["totals"],
        "supersedes": data.get("supersedes"),
        "superseded_by": None,
        "recorded_at": e["occurred_at"],
        "department": e["department"],
        "party_ids": [],
        "status": "open",
    }
    d["status"] = _status(d)
    return d


def exceptions_found(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d["exceptions"] += [{**x, "resolution": None} for x in e["data"]["exceptions"]]
    d["open_exceptions"] = sum(1 for x in d["exceptions"] if x["resolution"] is None)
    d["status"] = _status(d)
    return d


def superseded(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    d.update(status="superseded", superseded_by=e["data"]["by"])
    return d


def exception_resolved(d: Document | None, e: Envelope) -> Document:
    d = require(d, NAME)
    data = e["data"]
    for exception in d["exceptions"]:
        if exception["exception_id"] == data["exception_id"]:
            exception["resolution"] = {
                "resolution": data["resolution"],
                "reason": data["reason"],
                "by": resolver(e),
                "at": e["occurred_at"],
            }
    d["open_exceptions"] = sum(1 for x in d["exceptions"] if x["resolution"] is None)
    d["status"] = _status(d)
    return d


PROJECTION = Projection(
    document_type="reconciliation",
    name=NAME,
    aggregate_type="Reconciliation",
    id_field="reconciliation_id",
    handlers={
        "ReconciliationRecorded": recorded,
        "ReconciliationExceptionsFound": exceptions_found,
        "ReconciliationSuperseded": superseded,
        "ReconciliationExceptionResolved": exception_resolved,
    },
)
