"""What the clock reminds of: unpaid fines falling due, active licences expiring.

Only the ids are read here (documents are never the source of a notice: the notifier loads
each aggregate from the event store, which also tells whether it still applies)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from search.store import ReadModels

PAGE = 500


def _ids(read_models: ReadModels, model: str, filters: list[dict]) -> Iterator[str]:
    after = None
    while True:
        body: dict = {
            "size": PAGE,
            "_source": False,
            "query": {"bool": {"filter": filters}},
            "sort": [{"position": "asc"}],  # one document per aggregate: positions differ
        }
        if after is not None:
            body["search_after"] = after
        found = read_models.client.search(index=read_models.names.alias(model), **body)
        hits = found["hits"]["hits"]
        for hit in hits:
            yield hit["_id"]
        if len(hits) < PAGE:
            return
        after = hits[-1]["sort"]


def fines_due(read_models: ReadModels, first: date, last: date) -> Iterator[str]:
    """Ids of unpaid fines due between `first` and `last` (inclusive)."""
    return _ids(
        read_models,
        "payments",
        [
            {"term": {"type": "payment"}},
            {"term": {"kind": "fine"}},
            {"term": {"status": "requested"}},
            {"range": {"due_date": {"gte": first.isoformat(), "lte": last.isoformat()}}},
        ],
    )


def licences_expiring(read_models: ReadModels, first: date, last: date) -> Iterator[str]:
    """Ids of active licences whose last valid day is between `first` and `last`."""
    return _ids(
        read_models,
        "licences",
        [
            {"term": {"type": "licence"}},
            {"term": {"status": "active"}},
            {"range": {"valid_until": {"gte": first.isoformat(), "lte": last.isoformat()}}},
        ],
    )
