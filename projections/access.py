"""Read model of the access log: who read or found which records, when, and where.

Entries are immutable; each is one document. It is not a case event and never touches a
case stream (docs/design.md, "Access logs are not case events"). Entries reach the topic
masked; they are masked again here, so messages relayed before masking (the topic keeps
everything) never reach the index in plaintext on a rebuild. The party list holds blind refs
(`projections.personal`), which are kept as they are: they reveal nothing and let the index be
searched by party; anything else in it is masked.
"""

from __future__ import annotations

from domain.identifiers import mask_id
from domain.store.access_log import mask_query, mask_sub
from projections.base import Document, Envelope, Projection
from projections.personal import is_ref

NAME = "access"


def recorded(_: Document | None, e: Envelope) -> Document:
    data = e["data"]
    return {
        "type": "access",
        "title": data["endpoint"],
        "status": "recorded",
        "at": data["at"],
        "role": data["role"],
        "sub": mask_sub(data["role"], data["sub"]),
        "department": data.get("department"),
        "region_code": data.get("region_code"),
        "endpoint": data["endpoint"],
        "record_ids": data.get("record_ids", []),
        "party_ids": [p if is_ref(p) else mask_id(p) for p in data.get("party_ids", [])],
        "query": mask_query(data.get("query", "")),
    }


PROJECTION = Projection(
    document_type="access",
    name=NAME,
    aggregate_type="AccessEntry",
    id_field="entry_id",
    handlers={"AccessRecorded": recorded},
    source="access",
)
