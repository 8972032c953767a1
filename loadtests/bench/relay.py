"""Stage 2, relay: events/s event store -> Kafka, the real relay vs a raw producer.

``consumers.relay.Relay`` runs as it does in production, timed from its first batch read to
the acknowledgement of `target`; a bare producer of each driver, with the relay's producer
settings, sends the same records (the relay's own encoder: keys, sealed envelopes, headers),
all encoded in advance. kafka-python's raw producer is the baseline of every driver's ratio.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from consumers import kafka_admin
from consumers.kafka_driver import CONFLUENT, KAFKA_PYTHON, make_producer
from consumers.relay import Relay, RelayStats, event_encoder
from domain.services import Casetrack
from loadtests.bench.context import RunContext
from loadtests.bench.tools import median

Message = tuple[bytes, bytes, list]  # key, value, headers


@dataclass
class RelayClock:
    """Times a relay through what it exposes: its log reader (the first batch read) and its
    tick (the position acknowledged, checked before each batch), which also stops it."""

    target: int
    stop: threading.Event
    first_at: float | None = None
    done_at: float | None = None

    def reading(self, read_log: Callable[[int, int], Sequence]) -> Callable[[int, int], Sequence]:
        def read(after: int, limit: int) -> Sequence:
            events = read_log(after, limit)
            if events and self.first_at is None:
                self.first_at = time.perf_counter()
            return events

        return read

    def tick(self, stats: RelayStats) -> None:
        if stats.position >= self.target and self.done_at is None:
            self.done_at = time.perf_counter()
            self.stop.set()


def relay_once(
    app: Casetrack,
    *,
    bootstrap: str,
    topic: str,
    partitions: int,
    target: int,
    timeout_s: float,
    driver: str = KAFKA_PYTHON,
) -> tuple[float, int]:
    """(events/s, events) of the real relay from position 0 up to `target`."""
    stop = threading.Event()
    clock = RelayClock(target, stop)
    relay = Relay(
        read_log=clock.reading(
            lambda after, limit: app.read_log(after, min(limit, max(1, target - after)))
        ),
        mapper=app.sealed_mapper,
        bootstrap=bootstrap,
        topic=topic,
        partitions=partitions,
        driver=driver,
        on_tick=lambda: clock.tick(relay.stats),  # called from run(), once `relay` is bound
    )
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    thread.join(timeout_s)
    stop.set()
    thread.join(30)
    if clock.done_at is None or clock.first_at is None:
        raise TimeoutError(f"the relay did not reach position {target} within {timeout_s:.0f} s")
    return relay.stats.published / (clock.done_at - clock.first_at), relay.stats.published


def envelopes_up_to(app: Casetrack, target: int) -> list[Message]:
    """The messages the relay sends for positions 1 to `target` (its own encoder: the same
    sealed envelopes, keys and headers), encoded in advance."""
    encode = event_encoder(app.sealed_mapper)
    out: list[Message] = []
    position = 0
    while position < target:
        events = app.read_log(position, 2000)
        if not events:
            break
        out.extend(encode(logged) for logged in events if logged.position <= target)
        position = events[-1].position
    return out


def raw_produce(
    messages: list[Message],
    *,
    bootstrap: str,
    topic: str,
    partitions: int,
    driver: str = KAFKA_PYTHON,
) -> float:
    """Events/s of a bare producer with the relay's acks/idempotence settings."""
    kafka_admin.ensure_topic(bootstrap, topic, partitions=partitions, config={"retention.ms": "-1"})
    if driver == CONFLUENT:
        return _raw_produce_confluent(messages, bootstrap=bootstrap, topic=topic)
    # The relay's own producer settings (`make_producer`): a bare KafkaProducer all the same.
    producer = make_producer(
        KAFKA_PYTHON, bootstrap=bootstrap, client_id="bench-raw", send_timeout_s=120
    )
    try:
        producer.partitions_for(topic)  # metadata first, like the relay's connect
        started = time.perf_counter()
        futures = [
            producer.send(topic, key=key, value=value, headers=headers)
            for key, value, headers in messages
        ]
        producer.flush(timeout=120)
        for future in futures:
            future.get(timeout=120)
        return len(messages) / (time.perf_counter() - started)
    finally:
        producer.close(timeout=5)


def _raw_produce_confluent(messages: list[Message], *, bootstrap: str, topic: str) -> float:
    """The bare confluent-kafka producer, configured as `consumers.kafka_driver` configures it."""
    import confluent_kafka

    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": "bench-raw-confluent",
            "acks": "all",
            "enable.idempotence": True,
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 5,
            "batch.size": 512 * 1024,
            "partitioner": "murmur2_random",
        }
    )
    failed = []

    def report(error, message) -> None:
        if error is not None:
            failed.append(error)

    producer.list_topics(topic, timeout=10)  # metadata first, like the relay's connect
    started = time.perf_counter()
    for key, value, headers in messages:
        while True:
            try:
                producer.produce(topic, value, key=key, headers=headers, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.05)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - started
    if remaining or failed:
        raise RuntimeError(
            f"raw confluent producer: {remaining} unacknowledged, {len(failed)} failed"
        )
    return len(messages) / elapsed


def count_topic_events(bootstrap: str, topic: str) -> int:
    """Every record of `topic` (its end offsets summed; markers included)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()


def relay_stage(app: Casetrack, run: RunContext) -> dict[str, Any]:
    """The relay with each driver, next to the raw producer of each driver (the baseline is
    kafka-python's), interleaved run by run."""
    args = run.args
    target = min(app.max_position(), args.relay_sample)
    messages = envelopes_up_to(app, target)
    ours: dict[str, list[float]] = {d: [] for d in args.drivers}
    raw: dict[str, list[float]] = {d: [] for d in args.drivers}
    for n in range(args.runs):
        for driver in args.drivers:
            topic = f"{run.run_id}-relay{n}-{driver}.events"
            run.topics_made.append(topic)
            rate, _ = relay_once(
                app,
                bootstrap=args.kafka,
                topic=topic,
                partitions=args.partitions,
                target=target,
                timeout_s=args.stage_timeout,
                driver=driver,
            )
            ours[driver].append(rate)
            raw_topic = f"{run.run_id}-raw{n}-{driver}.events"
            run.topics_made.append(raw_topic)
            raw[driver].append(
                raw_produce(
                    messages,
                    bootstrap=args.kafka,
                    topic=raw_topic,
                    partitions=args.partitions,
                    driver=driver,
                )
            )
            run.progress(
                f"relay run {n + 1}/{args.runs} ({driver}): {ours[driver][-1]:.0f} vs raw "
                f"{raw[driver][-1]:.0f} events/s"
            )
    return _relay_figures(ours, raw, events=len(messages))


def _relay_figures(
    ours: dict[str, list[float]], raw: dict[str, list[float]], *, events: int
) -> dict[str, Any]:
    baseline = median(raw[KAFKA_PYTHON])
    return {
        "events": events,
        "relay_events_s": median(ours[KAFKA_PYTHON]),
        "raw_producer_events_s": baseline,
        "ratio": median(ours[KAFKA_PYTHON]) / baseline,
        "drivers": {
            d: {
                "relay_events_s": median(ours[d]),
                "raw_producer_events_s": median(raw[d]),
                "ratio_to_own_raw": median(ours[d]) / median(raw[d]),
                "ratio_to_raw_kafka_python": median(ours[d]) / baseline,
            }
            for d in ours
        },
        "runs": {"relay": ours, "raw": raw},
    }
