"""The store's mapper with sealing: what is stored and sent is sealed, what is loaded opens.

- `seal_event` (the write transaction of `CasetrackApplication.commit`) seals an event's
  personal values under keys created on the transaction's cursor (docs/design.md, "Personal
  data"); `to_stored_event` does the same in a short transaction of its own for the few events
  saved outside a command (benchmarks' probes), and seals a snapshot's whole state under the
  aggregate's snapshot key.
- `to_domain_event` opens every sealed value (or puts `[erased]` where the key is gone) and
  drops the blind refs, so aggregates see what they always saw.
- `sealed_view()` is a plain mapper over the same transcoder: the relay builds envelopes with
  it, so Kafka only ever receives the sealed form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import CanSnapshotAggregate
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.privacy.keyring import PREFIX, Keyring, SealSession
from domain.privacy.policy import REFS, Sealer, owner_party_id

SEALED_STATE = "_sealed_"
_SEALED_MARK = b'"' + PREFIX.encode()


class SealingMapper(Mapper):
    def __init__(self, transcoder: Transcoder, keyring: Keyring) -> None:
        super().__init__(transcoder)
        self.keyring = keyring
        self._sealed_view = Mapper(transcoder)

    def sealed_view(self) -> Mapper:
        return self._sealed_view

    # ------------------------------------------------------------------ writing

    def seal_event(self, event: Any, aggregate: Any, session: SealSession) -> StoredEvent:
        # The library's to_stored_event, with the sealing between the state and its bytes.
        state = dict(vars(event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        owner = owner_party_id(aggregate) if aggregate is not None else None
        state = Sealer(session).seal_state(type(event).__name__, state, _uuid(originator_id), owner)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(event)),
            state=self.transcoder.encode(state),
        )

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not isinstance(domain_event, CanSnapshotAggregate):
            try:  # most events saved this way hold nothing personal: no transaction then
                return self.seal_event(domain_event, None, _NoKeys(self.keyring))
            except _KeyNeeded:
                pass
        store = self.keyring.store
        with store.write_cursor() as cursor:
            session = self.keyring.session(cursor)
            if isinstance(domain_event, CanSnapshotAggregate):
                stored = self._seal_snapshot(domain_event, session)
            else:
                stored = self.seal_event(domain_event, None, session)
        session.committed()
        return stored

    def _seal_snapshot(self, snapshot: Any, session: SealSession) -> StoredEvent:
        stored = super().to_stored_event(snapshot)
        aggregate_id = _uuid(stored.originator_id)
        body = session.seal(stored.state.decode(), "snapshot", aggregate_id, purpose="snapshot")
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=orjson.dumps({SEALED_STATE: body}),
        )

    # ------------------------------------------------------------------ reading

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if _SEALED_MARK not in stored_event.state and REFS.encode() not in stored_event.state:
            return super().to_domain_event(stored_event)
        aggregate_id = _uuid(stored_event.originator_id)
        state = orjson.loads(stored_event.state)
        if SEALED_STATE in state:  # a snapshot
            plain = self.keyring.open(state[SEALED_STATE], aggregate_id)
            raw = plain.encode()  # a snapshot whose key is gone was deleted with it
        else:
            state.pop(REFS, None)
            raw = orjson.dumps(self.keyring.open_tree(state, aggregate_id))
        return super().to_domain_event(
            StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=raw,
            )
        )


class _KeyNeeded(Exception):
    pass


class _NoKeys(SealSession):
    """A session for events that turn out to need no key."""

    def __init__(self, keyring: Keyring) -> None:
        super().__init__(keyring, cursor=None)

    def key(self, subject_ref: str, aggregate_id: UUID, purpose: str = "data") -> Any:
        raise _KeyNeeded


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
