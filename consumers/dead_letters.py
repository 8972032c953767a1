"""Dead letters: list them from the dead-letter topic; replay one by rebuilding its
aggregate's document from the aggregate's whole stream in the event store."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import orjson
from kafka import KafkaConsumer, TopicPartition

from consumers.envelope import build_envelope
from consumers.projector import fold
from projections import PROJECTIONS, Projection
from search.store import ReadModels, Write


def list_dead_letters(bootstrap: str, topic: str, *, limit: int = 1000) -> list[dict]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        client_id="casetrack-dead-letters-list",
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        letters: list[dict] = []
        while len(letters) < limit and any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000, max_records=1000).values():
                letters.extend(orjson.loads(r.value) for r in records)
        return sorted(letters, key=lambda d: d["position"])[:limit]
    finally:
        consumer.close()


def count_dead_letters(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="casetrack-dead-letters-count")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return 0
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        return sum(ends[tp] - starts[tp] for tp in partitions)
    finally:
        consumer.close()


@dataclass(frozen=True)
class Replayed:
    projection: str
    aggregate_id: str
    version: int
    degraded: bool
    errors: list[str]


def stream_envelopes(app, aggregate_id: UUID) -> list[dict]:
    """The aggregate's whole stream from the event store, as the relay would publish it."""
    return [
        orjson.loads(
            orjson.dumps(
                build_envelope(
                    app.sealed_mapper,
                    position=e.position,
                    originator_id=e.originator_id,
                    originator_version=e.originator_version,
                    topic=e.topic,
                    state=e.state,
                    prev_hash=e.prev_hash,
                    hash_=e.hash,
                )
            )
        )
        for e in app.read_stream(aggregate_id)
    ]


def replay(
    app,
    read_models: ReadModels,
    aggregate_id: UUID,
    *,
    projections: dict[str, Projection] = PROJECTIONS,
) -> Replayed:
    """Recompute the aggregate's document from scratch and overwrite it (external_gte)."""
    envelopes = stream_envelopes(app, aggregate_id)
    if not envelopes:
        raise LookupError(f"the event store has no stream {aggregate_id}")
    projection = next((p for p in projections.values() if p.handles(envelopes[0])), None)
    if projection is None:
        raise LookupError(f"no projection reads {envelopes[0]['aggregate_type']} streams")
    document, _, _, dead = fold(projection, None, envelopes)
    alias = read_models.names.alias(projection.name)
    read_models.write(
        alias,
        [Write(str(aggregate_id), document["aggregate_version"], document)],
        version_type="external_gte",
    )
    read_models.refresh(alias)
    return Replayed(
        projection.name,
        str(aggregate_id),
        document["aggregate_version"],
        bool(document.get("degraded")),
        [d.message for d in dead],
    )
