"""The relay: event store notification log -> Kafka `casetrack.events`, in position order.

Guarantee 2 of docs/design.md: no event is lost, also when the relay is killed at any instant,
and per aggregate Kafka order equals version order.

- Events are sent keyed by aggregate id with an idempotent producer (acks=all), so one
  aggregate's events land on one partition in version order, retries included.
- Once a batch and every batch before it are acknowledged (every future checked), the relay
  may send every partition a marker `{"published_up_to": P}`. A marker in Kafka therefore proves that
  everything up to P was acknowledged before it: on start the relay resumes from the
  highest marker found at the tail of any partition. Nothing else is needed to resume, and
  events published after that marker are published again (harmless duplicates), never
  skipped. The same markers let projectors advance idle partitions' checkpoints.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from consumers import kafka_admin
from consumers.envelope import (
    MARKER_HEADERS,
    build_envelope,
    dumps,
    envelope_headers,
    event_id,
    is_marker,
    marker_value,
    split_topic,
)
from consumers.kafka_driver import KAFKA_PYTHON, make_producer
from domain.store.records import LoggedEvent

log = logging.getLogger(__name__)

Message = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    position: int = 0
    last_publish_at: float = field(default_factory=time.time)


class Relay:
    def __init__(
        self,
        *,
        read_log: Callable[[int, int], Sequence],
        mapper=None,
        encode: Callable[[Any], Message] | None = None,
        bootstrap: str,
        topic: str,
        partitions: int = 12,
        batch_size: int = 2000,
        idle_wait_s: float = 0.05,
        marker_interval_s: float = 0.2,
        send_timeout_s: float = 30.0,
        on_tick: Callable[[], None] = lambda: None,
        max_batches_in_flight: int = 4,
        driver: str = KAFKA_PYTHON,
    ) -> None:
        self.read_log = read_log
        self.encode = encode or event_encoder(mapper)
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.marker_interval_s = marker_interval_s
        self.send_timeout_s = send_timeout_s
        self.on_tick = on_tick
        self.max_batches_in_flight = max_batches_in_flight
        self.driver = driver
        self.stats = RelayStats()
        self._producer: Any = None  # a KafkaProducer, or the confluent driver's equivalent
        self._partition_ids: list[int] = []

    # ------------------------------------------------------------------ set-up

    def _connect(self) -> None:
        kafka_admin.ensure_topic(
            self.bootstrap, self.topic, partitions=self.partitions, config={"retention.ms": "-1"}
        )
        self._producer = make_producer(
            self.driver,
            bootstrap=self.bootstrap,
            client_id="casetrack-relay",
            send_timeout_s=self.send_timeout_s,
        )
        self._partition_ids = sorted(self._producer.partitions_for(self.topic))

    def _close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except (
                Exception
            ):  # closing a producer whose broker is gone may raise; it is discarded anyway
                log.debug("producer close failed", exc_info=True)
            self._producer = None

    def resume_position(self) -> int:
        """The highest `published_up_to` among the markers at the tail of each partition."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            client_id="casetrack-relay-resume",
        )
        try:
            best = 0
            for partition in sorted(consumer.partitions_for_topic(self.topic) or ()):
                best = max(best, _last_marker(consumer, TopicPartition(self.topic, partition)))
            return best
        finally:
            consumer.close()

    # ------------------------------------------------------------------ work

    def _send(self, items: Sequence) -> list:
        """Hand a batch to the producer; the futures tell when the broker acknowledged it.

        The whole page is encoded first and then sent in one tight loop, as a bare producer
        sends: encoding between sends let the producer's I/O thread drain each partition's
        batch after a few records, and every new batch costs a wake-up of that thread and a
        hand-over of the GIL (under cProfile, a third of the relay's time was that wake-up's
        `socket.send`; loadtests/RESULTS.md)."""
        encode = self.encode
        messages = [encode(item) for item in items]
        send, topic = self._producer.send, self.topic
        return [
            send(topic, key=key, value=value, headers=headers) for key, value, headers in messages
        ]

    def _send_markers(self, position: int) -> list:
        producer = self._producer
        return [
            producer.send(
                self.topic, partition=p, value=marker_value(position), headers=MARKER_HEADERS
            )
            for p in self._partition_ids
        ]

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set; reconnect with exponential back-off on any Kafka failure."""
        backoff = 0.5
        while not stop.is_set():
            try:
                self._connect()
                position = self.resume_position()
                log.info("relay resuming after position %d", position)
                self._loop(position, stop)
                backoff = 0.5
            except (KafkaError, OSError) as exc:
                log.warning(
                    "relay lost Kafka (%s: %s); retrying in %.1f s",
                    type(exc).__name__,
                    exc,
                    backoff,
                )
                self._close()
                stop.wait(backoff * (1 + random.random() / 4))
                backoff = min(backoff * 2, 15.0)
            finally:
                self._close()

    def _loop(self, position: int, stop: threading.Event) -> None:
        """Batches are pipelined: the next one is read and encoded while the broker acknowledges
        the previous ones. `acked` only moves over batches whose every send succeeded, in
        order, and a marker only ever announces `acked`."""
        acked = position
        in_flight: deque[tuple[int, list]] = deque()
        marker_due = True  # announce the resume point at once: idle partitions learn it too
        last_marker = 0.0
        while not stop.is_set():
            self.on_tick()
            events = self.read_log(position, self.batch_size)
            if events:
                in_flight.append((events[-1].position, self._send(events)))
                position = events[-1].position
                self.stats.published += len(events)
                self.stats.batches += 1
                self.stats.last_publish_at = time.time()
            caught_up = len(events) < self.batch_size
            if in_flight and caught_up:
                self._producer.flush(timeout=self.send_timeout_s)
            elif len(in_flight) > self.max_batches_in_flight:
                # Wait for the oldest batch only: the newer ones keep the broker busy meanwhile.
                _acknowledged(in_flight[0][1], self.send_timeout_s)
            while in_flight and all(f.is_done for f in in_flight[0][1]):
                done_position, futures = in_flight.popleft()
                _acknowledged(futures, 0)  # raises the first send's error, if any
                if done_position > acked:
                    acked = self.stats.position = done_position
                    marker_due = True
            if marker_due and (
                caught_up or time.monotonic() - last_marker >= self.marker_interval_s
            ):
                # Sent behind the events already acknowledged, checked like a batch (a marker
                # that fails ends the loop), but not waited for: the next batch is not held up.
                in_flight.append((acked, self._send_markers(acked)))
                last_marker = time.monotonic()
                marker_due = False
            if caught_up and not events:
                stop.wait(self.idle_wait_s)


def event_encoder(mapper) -> Callable[[LoggedEvent], Message]:
    """Stored event -> (aggregate id key, envelope bytes, headers)."""

    def encode(logged: LoggedEvent) -> Message:
        try:
            envelope = build_envelope(
                mapper,
                position=logged.position,
                originator_id=logged.originator_id,
                originator_version=logged.originator_version,
                topic=logged.topic,
                state=logged.state,
                prev_hash=logged.prev_hash,
                hash_=logged.hash,
            )
        except Exception as exc:
            # Never skip an event: publish what we know so the projector dead-letters it.
            log.exception("cannot decode event at position %s", logged.position)
            envelope = _undecodable(logged, exc)
        return envelope["aggregate_id"].encode(), dumps(envelope), envelope_headers(envelope)

    return encode


def _acknowledged(futures: Sequence, timeout_s: float) -> None:
    """Wait up to `timeout_s` for every send of a batch; raise the first one's error. A done
    future is only looked at (`get` would set up a timer per record)."""
    for future in futures:
        if not future.is_done:
            future.get(timeout=timeout_s)
        elif future.exception is not None:
            raise future.exception


def _last_marker(consumer: KafkaConsumer, tp: TopicPartition) -> int:
    """Scan one partition backwards from its end for the latest marker; 0 if none."""
    consumer.assign([tp])
    start = consumer.beginning_offsets([tp])[tp]
    end = consumer.end_offsets([tp])[tp]
    window = 64
    while end > start:
        low = max(start, end - window)
        consumer.seek(tp, low)
        found = 0
        deadline = time.monotonic() + 30
        while consumer.position(tp) < end:
            if time.monotonic() > deadline:
                raise KafkaError(f"timed out reading {tp} while resuming")
            for record in consumer.poll(timeout_ms=500, max_records=window).get(tp, []):
                if record.offset < end and is_marker(record.headers):
                    found = max(found, _published_up_to(record.value))
        if found:
            return found
        end = low
        window *= 4
    return 0


def _published_up_to(value: bytes) -> int:
    return int(orjson.loads(value)["published_up_to"])


def _undecodable(logged: LoggedEvent, exc: Exception) -> dict:
    aggregate_type, event_type = split_topic(logged.topic)
    return {
        "event_id": event_id(logged.originator_id, logged.originator_version),
        "position": logged.position,
        "aggregate_id": str(logged.originator_id),
        "aggregate_type": aggregate_type,
        "aggregate_version": logged.originator_version,
        "event_type": event_type,
        "schema_version": 0,
        "occurred_at": None,
        "actor": {},
        "department": "",
        "data": None,
        "decode_error": f"{type(exc).__name__}: {exc}",
        "prev_hash": logged.prev_hash,
        "hash": logged.hash,
    }


def access_log_relay(app, **options: Any) -> Relay:
    """The relay of the access log (its own table, its own topic and markers)."""
    from consumers.envelope import access_envelope
    from domain.store.access_log import read_access_log

    return Relay(
        read_log=lambda after, limit: read_access_log(app.store, after, limit),
        encode=lambda entry: _message(
            str(entry.position).encode(), access_envelope(entry.as_dict())
        ),
        **options,
    )


def _message(key: bytes, envelope: dict) -> Message:
    return key, dumps(envelope), envelope_headers(envelope)
