"""The Kafka envelope of a stored event, and the relay's watermark markers.

Envelope (docs/design.md, Kafka contract): `event_id, position, aggregate_id, aggregate_type,
aggregate_version, event_type, schema_version, occurred_at, actor, department, data,
prev_hash, hash`; headers `event_type`, `schema_version`, and beyond the contract
`aggregate_type` and `position` (copies of the envelope's, for routing without decoding). A marker carries the header
`casetrack_marker=1` and the value `{"published_up_to": P}`.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import uuid
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from domain.privacy.mapper import SealingMapper

MARKER_HEADER = "casetrack_marker"
_ENVELOPE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "actor",
    "department",
    "originator_topic",
}
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c7a43-1d8e-4c55-9d0e-0b6b7b0b6a11")
_EVENT_ID_NAMESPACE_BYTES = _EVENT_ID_NAMESPACE.bytes


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)  # plain JSON, as a fast envelope is: orjson's quickest mode
    except TypeError:
        return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def event_id(aggregate_id: uuid.UUID | str, version: int) -> str:
    """Deterministic: the same stored event always has the same id, duplicates included.
    The RFC 4122 name-based (SHA-1) UUID of ``f"{aggregate_id}:{version}"``, equal to
    ``uuid.uuid5`` but built on the digest's hex (no `UUID` object: a third of the cost)."""
    h = hashlib.sha1(_EVENT_ID_NAMESPACE_BYTES + f"{aggregate_id}:{version}".encode()).hexdigest()
    # version 5 in the 13th hex digit, the RFC 4122 variant (10xx) in the 17th
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {f"{n:x}": f"{n & 0x3 | 0x8:x}" for n in range(16)}


@functools.lru_cache(maxsize=1024)
def split_topic(topic: str) -> tuple[str, str]:
    """`domain.model.case:Case.CaseSubmitted` -> (`Case`, `CaseSubmitted`)."""
    qualname = topic.rsplit(":", 1)[-1]
    parts = qualname.split(".")
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[-2], parts[-1]


# The transcoder's tagged scalars (``{"_type_": ..., "_data_": "..."}``) whose plain JSON form
# is their string (UUIDs gain their dashes). Inside a JSON string every quote is escaped, so
# these patterns can only match real tags.
_STRING_TAGS = re.compile(
    rb'\{"_type_":"(?:datetime_iso|date_iso|time_iso|decimal_str)","_data_":("[^"\\]*")\}'
)
_UUID_TAGS = re.compile(
    rb'\{"_type_":"uuid_hex","_data_":"([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})"\}'
)
_ANY_TAG = b'"_type_"'
_UUID_TAG = b'"uuid_hex"'
# A callable in C: on Python 3.11 a template such as rb"\1" is expanded by Python code per match.
_FIRST_GROUP = operator.methodcaller("group", 1)


def _dashed(match: re.Match[bytes]) -> bytes:
    return b'"%s-%s-%s-%s-%s"' % match.groups()


def _plain_state(mapper: Mapper, topic: str, state: bytes) -> dict[str, Any] | None:
    """The stored state as plain JSON, straight from its bytes, when that equals decoding it
    through the domain classes (no cipher or compressor, only scalar tags, no upcasting);
    otherwise None."""
    if mapper.cipher is not None or mapper.compressor is not None:
        return None
    plain = _STRING_TAGS.sub(_FIRST_GROUP, state)
    if _ANY_TAG in plain:
        if _UUID_TAG in plain:
            plain = _UUID_TAGS.sub(_dashed, plain)
        if _ANY_TAG in plain:
            return None  # tuples, sets, or another transcoder's tag: the full decoder runs
    attributes = orjson.loads(plain)
    if attributes.pop("class_version", 1) != _class_version(topic):
        return None  # stored by an older class: its upcasters must run
    return attributes


@functools.lru_cache(maxsize=1024)
def _class_version(topic: str) -> int:
    return getattr(resolve_topic(topic), "class_version", 1)


def build_envelope(
    mapper: Mapper,
    *,
    position: int,
    originator_id: uuid.UUID,
    originator_version: int,
    topic: str,
    state: bytes,
    prev_hash: str | None,
    hash_: str,
) -> dict[str, Any]:
    if isinstance(mapper, SealingMapper):
        # An envelope leaves the store: it carries personal data sealed, never opened.
        mapper = mapper.sealed_view()
    aggregate_type, event_type = split_topic(topic)
    attributes = _plain_state(mapper, topic, state)
    if attributes is not None:
        occurred_at = attributes.pop("timestamp")
        actor = attributes.pop("actor", None)
        department = attributes.pop("department", None)
        attributes.pop("originator_topic", None)
        data = attributes
        schema_version = _class_version(topic)
    else:
        domain_event = mapper.to_domain_event(
            StoredEvent(
                originator_id=originator_id,
                originator_version=originator_version,
                topic=topic,
                state=state,
            )
        )
        attributes = vars(domain_event)
        data = {k: v for k, v in attributes.items() if k not in _ENVELOPE_FIELDS}
        occurred_at = domain_event.timestamp.isoformat()
        actor = attributes.get("actor")
        department = attributes.get("department")
        schema_version = getattr(type(domain_event), "class_version", 1)
    aggregate_id = str(originator_id)
    return {
        "event_id": event_id(aggregate_id, originator_version),
        "position": position,
        "aggregate_id": aggregate_id,
        "aggregate_type": aggregate_type,
        "aggregate_version": originator_version,
        "event_type": event_type,
        "schema_version": schema_version,
        "occurred_at": occurred_at,
        "actor": actor or {},
        "department": department or "",
        "data": data,
        "prev_hash": prev_hash,
        "hash": hash_,
    }


def envelope_headers(envelope: dict[str, Any]) -> list[tuple[str, bytes]]:
    """`event_type`, `schema_version` (the contract's), and `aggregate_type` and `position`, so
    that a projector can skip another aggregate type's event without decoding it."""
    return [
        *_headers(envelope["event_type"], envelope["schema_version"], envelope["aggregate_type"]),
        ("position", b"%d" % envelope["position"]),
    ]


@functools.lru_cache(maxsize=1024)
def _headers(
    event_type: str, schema_version: int, aggregate_type: str
) -> tuple[tuple[str, bytes], ...]:
    return (
        ("event_type", event_type.encode()),
        ("schema_version", str(schema_version).encode()),
        ("aggregate_type", aggregate_type.encode()),
    )


def routing(headers: list[tuple[str, bytes]] | None) -> tuple[str, int] | None:
    """(aggregate type, position) from an event's headers; None for a record published before
    the relay wrote them (its value must be decoded)."""
    aggregate_type = position = None
    for key, value in headers or ():
        if key == "aggregate_type":
            aggregate_type = value
        elif key == "position":
            position = value
    if aggregate_type is None or position is None:
        return None
    return aggregate_type.decode(), int(position)


def marker_value(published_up_to: int) -> bytes:
    return dumps({"published_up_to": published_up_to})


MARKER_HEADERS = [(MARKER_HEADER, b"1")]


_MARKER = (MARKER_HEADER, b"1")


def is_marker(headers: list[tuple[str, bytes]] | None) -> bool:
    return bool(headers) and _MARKER in headers


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
