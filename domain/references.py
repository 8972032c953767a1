"""Aggregates a command reads and does not change (service items), read on the command's own
write cursor and kept decoded by version.

A command decides against the current revision of what it reads: `read` asks the stream's
head (version and hash) on the write transaction's cursor every time (one lookup in the
primary key) and decodes the stream again, on the same cursor, only when it differs from the
head of the copy kept; so a revision committed by any process before the command's
transaction is seen. The hash chains every stored byte before it, so a stream deleted and
written again to the same version (a store restored from a backup under a running process)
is not mistaken for the kept one either.

What another process appends between that read and the command's append is caught by the
append (`CasetrackRecorderMixin.append_chained`'s `references`): SQLite holds the write lock
from the start of the transaction; PostgreSQL checks the heads under its table lock, in the
query of the heads of the aggregates the command appends to, or, when it appends to none
stored (a submission), in the INSERT itself, so no round trip is added. The command then
fails with a concurrency conflict rather than commit a decision against an old revision.

Only classes with `kept_as_reference = True` are kept between commands (they hold nothing
personal: a decoded copy would outlive a crypto-erasure); others are read the same way and
not kept. A kept aggregate is shared by every command of the process, so a command must not
change it: `settle` finds one that was (version moved or pending events), drops it from the
cache, and the command fails.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper

from domain.store.base import CasetrackRecorderMixin

DEFAULT_SIZE = 1024


class ReferenceChanged(RuntimeError):
    """A command changed an aggregate it read with `Tx.reference` (a programming error)."""


class References:
    """The process's decoded references, least recently used dropped past `size`; used
    under the application's commit lock only."""

    def __init__(
        self, recorder: CasetrackRecorderMixin, mapper: Mapper, *, size: int = DEFAULT_SIZE
    ) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._size = size
        # aggregate id -> (stream head (version, hash), aggregate)
        self._kept: OrderedDict[UUID, tuple[tuple[int, str], Aggregate]] = OrderedDict()

    def read(self, cursor: Any, aggregate_id: UUID) -> tuple[int, Any] | None:
        """(version, aggregate) as stored now, as seen by `cursor`; None when it has no events."""
        head = self._recorder.stream_head(cursor, aggregate_id)
        if head is None:
            self._kept.pop(aggregate_id, None)
            return None
        kept = self._kept.get(aggregate_id)
        if kept is not None and kept[0] == head:
            self._kept.move_to_end(aggregate_id)
            return head[0], kept[1]
        self._kept.pop(aggregate_id, None)
        aggregate: Any = None
        for stored in self._recorder.stream_events(cursor, aggregate_id):
            aggregate = self._mapper.to_domain_event(stored).mutate(aggregate)
        if aggregate is None:  # deleted since the head was read
            return None
        # The stream may have grown between the two reads (PostgreSQL, READ COMMITTED): the
        # aggregate's own version is the one decided against, and kept only with its head.
        if aggregate.version == head[0] and getattr(type(aggregate), "kept_as_reference", False):
            self._kept[aggregate_id] = (head, aggregate)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return aggregate.version, aggregate

    def settle(self, handed: dict[UUID, tuple[int, Any]]) -> list[UUID]:
        """After a command's `build`: the references it changed, dropped from the cache."""
        changed = [
            aggregate_id
            for aggregate_id, (version, aggregate) in handed.items()
            if aggregate is not None and (aggregate.version != version or aggregate.pending_events)
        ]
        for aggregate_id in changed:
            self._kept.pop(aggregate_id, None)
        return changed

    def clear(self) -> None:
        self._kept.clear()
