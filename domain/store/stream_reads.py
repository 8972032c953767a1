"""One stream read on the caller's cursor: what `Tx.reference` (`domain/references.py`) reads
inside a command's write transaction, instead of a reader transaction of its own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class StreamReadsMixin:
    """Part of `CasetrackRecorderMixin` (`domain/store/base.py`), which supplies these."""

    events_table: str

    def q(self, statement: str) -> str: ...
    def id_param(self, originator_id: UUID) -> Any: ...

    def stream_head(self, cursor: Any, aggregate_id: UUID) -> tuple[int, str] | None:
        """(version, hash) of the aggregate's last stored event, None when it has none: one
        lookup in the (originator_id, originator_version) key, on the caller's cursor. The
        hash chains every stored byte of the stream before it: equal heads, equal streams."""
        cursor.execute(
            self.q(
                f"SELECT originator_version, hash FROM {self.events_table} "
                "WHERE originator_id = %s ORDER BY originator_version DESC LIMIT 1"
            ),
            (self.id_param(aggregate_id),),
        )
        row = cursor.fetchone()
        return None if row is None else (int(row["originator_version"]), row["hash"])

    def stream_events(self, cursor: Any, aggregate_id: UUID) -> list[StoredEvent]:
        """The aggregate's stored events in version order, on the caller's cursor."""
        cursor.execute(
            self.q(
                f"SELECT originator_version, topic, state FROM {self.events_table} "
                "WHERE originator_id = %s ORDER BY originator_version"
            ),
            (self.id_param(aggregate_id),),
        )
        return [
            StoredEvent(
                originator_id=aggregate_id,
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in cursor.fetchall()
        ]
