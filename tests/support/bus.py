"""Putting envelopes on a topic as the relay does, without a relay: for tests that need the
topic to hold something precise (old schemas, duplicates)."""

from __future__ import annotations

import orjson
from kafka import KafkaProducer

from consumers.envelope import build_envelope, dumps, envelope_headers


def envelopes_of(app, after: int = 0) -> list[dict]:
    """The store's events after `after`, as the relay builds them, through JSON as through Kafka."""
    return [
        orjson.loads(
            dumps(
                build_envelope(
                    app.mapper,
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
        for e in app.read_log(after, limit=100_000)
    ]


def publish(bootstrap: str, topic: str, envelopes: list[dict]) -> None:
    """Keyed by aggregate id, with the envelope's headers, as the relay publishes."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for envelope in envelopes:
            producer.send(
                topic,
                key=envelope["aggregate_id"].encode(),
                value=dumps(envelope),
                headers=envelope_headers(envelope),
            )
        producer.flush(timeout=30)
    finally:
        producer.close()
