"""Re-apply erasures after the event store is restored from a backup.

A backup taken before an erasure still holds the person's data keys, so restoring it would
bring the person back. The erasures themselves are on the event topic, which is not restored
with the store (Kafka keeps its own replicas, for ever): `reapply_erasures` reads every
`PartyErased` from the topic and deletes, or restricts, that party's keys again, then scrubs
the store's files. Run it (`python manage.py reapply_erasures`) after every restore, before the
system starts serving (docs/design.md, "Personal data").
"""

from __future__ import annotations

import orjson
from kafka import KafkaConsumer, TopicPartition

from consumers.envelope import is_marker

ERASED_EVENT = b"PartyErased"


def erasures_on_topic(*, bootstrap: str, topic: str, timeout_s: float = 60.0) -> list[dict]:
    """The data of every `PartyErased` on the topic, in topic order per partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="casetrack-erasures"
    )
    found: list[dict] = []
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return found  # no topic yet: nothing was ever erased on it
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        idle_polls = 0
        while remaining:
            batches = consumer.poll(timeout_ms=500)
            idle_polls = 0 if batches else idle_polls + 1
            if idle_polls * 0.5 > timeout_s:
                raise TimeoutError(f"could not read {topic} to its end")
            for tp, records in batches.items():
                for record in records:
                    headers = dict(record.headers or ())
                    if not is_marker(record.headers) and headers.get("event_type") == ERASED_EVENT:
                        found.append(orjson.loads(record.value)["data"])
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()
    return found


def reapply_erasures(app, *, bootstrap: str, topic: str) -> int:
    """Delete (or restrict) again the keys of every party erased on the topic; return how
    many keys were deleted or restricted."""
    changed = 0
    for erasure in erasures_on_topic(bootstrap=bootstrap, topic=topic):
        keep = set(erasure.get("restricted") or ())
        keys = app.store.subject_keys(erasure["party_ref"])
        delete = [k.key_id for k in keys if str(k.aggregate_id) not in keep]
        restrict = [k.key_id for k in keys if str(k.aggregate_id) in keep and not k.restricted]
        if not delete and not restrict:
            continue
        with app.store.write_cursor() as cursor:
            app.store.forget_keys(
                cursor,
                delete=delete,
                restrict=restrict,
                snapshots_of=sorted({k.aggregate_id for k in keys}, key=str)
                if app.snapshots is not None
                else [],
            )
        changed += len(delete) + len(restrict)
    app.keyring.forget_cached()
    if changed:
        app.store.scrub_after_erasure()
    return changed
