"""How far a read model is behind the event store, in events and in seconds."""

from __future__ import annotations

from datetime import datetime

from consumers.envelope import build_envelope


def oldest_unapplied_age(app, watermark: int, now: datetime) -> float:
    """Seconds since the first event after `watermark` occurred (0 when none is waiting)."""
    waiting = app.read_log(watermark, 1)
    if not waiting:
        return 0.0
    e = waiting[0]
    envelope = build_envelope(
        app.sealed_mapper,
        position=e.position,
        originator_id=e.originator_id,
        originator_version=e.originator_version,
        topic=e.topic,
        state=e.state,
        prev_hash=e.prev_hash,
        hash_=e.hash,
    )
    return max(
        0.0, round((now - datetime.fromisoformat(envelope["occurred_at"])).total_seconds(), 3)
    )
