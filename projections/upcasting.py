"""Envelopes on the bus at an older schema, upcast before a projection reads them.

The relay publishes each event at its class's current `schema_version` (the store's mapper
upcasts what it reads). But Kafka keeps everything (`retention.ms=-1`): envelopes published
before a class gained a version are still on the topic at the old one, and a rebuild from
offset 0 reads them. So the projections upcast too, with the very upcasters the store uses,
the event class's `upcast_vN_vN+1(state)` static methods, applied to the envelope's `data`.
Those upcasters therefore touch only their event's own fields and work on plain JSON values
as well as on decoded ones (docs/design.md, "Schema evolution").

An envelope newer than the classes this process knows (a projector older than the relay
during a rolling deploy) is refused (`SchemaTooNew`, a ValueError: the projection's error): the
projector dead-letters it, and replaying the dead letter once the projector is upgraded
applies it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from domain.model.case import Case
from domain.model.licence import Licence
from domain.model.payment import Payment
from domain.model.service_item import ServiceItem
from domain.model.violation import Violation

Envelope = Mapping[str, Any]


class SchemaTooNew(ValueError):
    """An envelope at a schema version this process does not know yet."""


AGGREGATES = (Case, Licence, Payment, ServiceItem, Violation)


def _versioned() -> dict[tuple[str, str], Any]:
    """(aggregate type, event type) -> the event class, for the classes past version 1."""
    found = {}
    for aggregate in AGGREGATES:
        for name in dir(aggregate):
            event_class = getattr(aggregate, name)
            if isinstance(event_class, type) and getattr(event_class, "class_version", 1) > 1:
                if issubclass(event_class, aggregate.Event):
                    found[(aggregate.__name__, name)] = event_class
    return found


VERSIONED = _versioned()


def current_version(aggregate_type: str, event_type: str) -> int:
    """The schema version this process writes and reads for that event (1 if unversioned)."""
    event_class = VERSIONED.get((aggregate_type, event_type))
    return event_class.class_version if event_class else 1


def upcast(envelope: Envelope) -> Envelope:
    """`envelope` at its event's current schema: itself when it already is, else a new
    envelope with upcast `data` (the input is not changed)."""
    version = envelope.get("schema_version") or 1
    event_class = VERSIONED.get((envelope["aggregate_type"], envelope["event_type"]))
    target = event_class.class_version if event_class else 1
    if version == target or envelope.get("data") is None:
        return envelope
    if version > target:
        raise SchemaTooNew(
            f"{envelope['event_type']} has schema version {version}, newer than this "
            f"projector knows ({target}): upgrade it, then replay the dead letter"
        )
    data = copy.deepcopy(envelope["data"])
    while version < target:
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return {**envelope, "data": data, "schema_version": target}
