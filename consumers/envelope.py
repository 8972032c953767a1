"""The Kafka envelope of a stored event, and the relay's watermark markers.

Envelope (DESIGN.md, Kafka contract): `event_id, position, aggregate_id, aggregate_type,
aggregate_version, event_type, schema_version, occurred_at, actor, department, data,
prev_hash, hash`; headers `event_type`, `schema_version`. A marker carries the header
`casetrack_marker=1` and the value `{"published_up_to": P}`.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent

MARKER_HEADER = "casetrack_marker"
_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "actor", "department", "originator_topic"}
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c7a43-1d8e-4c55-9d0e-0b6b7b0b6a11")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def event_id(aggregate_id: uuid.UUID | str, version: int) -> str:
    """Deterministic: the same stored event always has the same id, duplicates included."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}"))


def split_topic(topic: str) -> tuple[str, str]:
    """`domain.model.case:Case.CaseSubmitted` -> (`Case`, `CaseSubmitted`)."""
    qualname = topic.rsplit(":", 1)[-1]
    parts = qualname.split(".")
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[-2], parts[-1]


def build_envelope(mapper: Mapper, *, position: int, originator_id: uuid.UUID, originator_version: int,
                   topic: str, state: bytes, prev_hash: str | None, hash_: str) -> dict[str, Any]:
    domain_event = mapper.to_domain_event(StoredEvent(
        originator_id=originator_id, originator_version=originator_version, topic=topic, state=state))
    aggregate_type, event_type = split_topic(topic)
    attributes = vars(domain_event)
    data = {k: v for k, v in attributes.items() if k not in _ENVELOPE_FIELDS}
    return {
        "event_id": event_id(originator_id, originator_version),
        "position": position,
        "aggregate_id": str(originator_id),
        "aggregate_type": aggregate_type,
        "aggregate_version": originator_version,
        "event_type": event_type,
        "schema_version": getattr(type(domain_event), "class_version", 1),
        "occurred_at": domain_event.timestamp.isoformat(),
        "actor": attributes.get("actor") or {},
        "department": attributes.get("department") or "",
        "data": data,
        "prev_hash": prev_hash,
        "hash": hash_,
    }


def envelope_headers(envelope: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [("event_type", envelope["event_type"].encode()),
            ("schema_version", str(envelope["schema_version"]).encode())]


def marker_value(published_up_to: int) -> bytes:
    return dumps({"published_up_to": published_up_to})


MARKER_HEADERS = [(MARKER_HEADER, b"1")]


def is_marker(headers: list[tuple[str, bytes]] | None) -> bool:
    return any(name == MARKER_HEADER and value == b"1" for name, value in headers or ())


ACCESS_AGGREGATE_TYPE = "AccessEntry"


def access_envelope(entry: dict[str, Any]) -> dict[str, Any]:
    """An access-log entry shaped like an event envelope, so the same projector runs it:
    one immutable document per entry (`access-<position>`, version 1)."""
    return {
        "event_id": f"access-{entry['position']}",
        "position": entry["position"],
        "aggregate_id": f"access-{entry['position']}",
        "aggregate_type": ACCESS_AGGREGATE_TYPE,
        "aggregate_version": 1,
        "event_type": "AccessRecorded",
        "schema_version": 1,
        "occurred_at": entry["at"],
        "actor": {"role": entry["role"], "subject": entry["sub"]},
        "department": entry.get("department") or "",
        "data": entry,
        "prev_hash": None,
        "hash": None,
    }
