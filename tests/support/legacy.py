"""Events and envelopes as Casetrack wrote them before `CaseDecided` and `CaseRefused` v3
(docs/design.md, "Schema evolution"): v2, the legal basis as text, or absent from a refusal."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent

from domain.legal_basis import as_text

V2_EVENTS = ("CaseDecided", "CaseRefused")


def _as_v1(event_type: str, state: dict[str, Any]) -> None:
    if event_type == "CaseDecided":
        state["legal_basis"] = as_text(state["legal_basis"])
    else:
        state.pop("legal_basis")


def stored_as_v1(mapper: Mapper, stored: StoredEvent) -> StoredEvent:
    """A stored v3 decision or refusal as the v2 class stored it."""
    event_type = stored.topic.rsplit(".", 1)[-1]
    if event_type not in V2_EVENTS:
        return stored
    state = mapper.transcoder.decode(stored.state)
    assert state["class_version"] == 3
    state["class_version"] = 2
    _as_v1(event_type, state)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=mapper.transcoder.encode(state),
    )


def envelope_as_v1(envelope: dict[str, Any]) -> dict[str, Any]:
    """A v3 envelope of a decision or refusal as the relay published it before v3."""
    if envelope["event_type"] not in V2_EVENTS:
        return envelope
    assert envelope["schema_version"] == 3
    data = dict(envelope["data"])
    _as_v1(envelope["event_type"], data)
    return {**envelope, "schema_version": 2, "data": data}
