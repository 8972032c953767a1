"""The Kafka client under the relay's producer and the projectors' consumers.

Two drivers, chosen by ``CASETRACK_KAFKA_DRIVER``:

- ``kafka-python`` (the default): pure Python. Its per-record work (batch building, record
  parsing, partitioning) is most of what the relay and the projectors spend outside
  Casetrack's own code (loadtests/RESULTS.md).
- ``confluent``: confluent-kafka, librdkafka in C (the optional extra ``confluent``). Wrapped
  here so that the relay and the projector see kafka-python's interface: ``send`` returns a
  future with ``is_done``/``get``, ``poll`` returns records grouped by
  ``kafka.TopicPartition``, errors are ``kafka.errors.KafkaError`` (so the callers' retry
  and rebalance handling is the same).

Both partition a keyed record by Java's murmur2 of the key, so an aggregate's events land on
the same partition whichever driver sent them (tested), and both check record CRCs.

Only the two hot paths use a driver; resuming the relay, dead letters, replay and lag use
kafka-python alone.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata, TopicPartition

log = logging.getLogger(__name__)

KAFKA_PYTHON = "kafka-python"
CONFLUENT = "confluent"
DRIVERS = (KAFKA_PYTHON, CONFLUENT)

# How long the broker may hold a fetch that finds nothing new. It answers as soon as a record
# arrives, so this does not delay an event: it bounds how often an idle consumer asks again. At
# 100 ms, `project all`'s seven idle kafka-python consumers took 17-18 % of a core (their IO
# threads sending fetches and waking the pollers); at 500 ms, 6 % (loadtests/RESULTS.md).
FETCH_MAX_WAIT_MS = 500
# How soon librdkafka fetches again after finding its bounded read-ahead full. At its default
# (1 s) that bound throttled a live projector to ~5,000 events/s whatever its speed
# (RESULTS.md, fifth session); it stays short whatever the fetch wait.
QUEUE_BACKOFF_MS = 100


def make_producer(
    driver: str,
    *,
    bootstrap: str,
    client_id: str,
    send_timeout_s: float,
    linger_ms: int = 5,
    batch_bytes: int = 512 * 1024,
) -> Any:
    """An idempotent producer (acks=all, 5 requests in flight): kafka-python's own, or the
    confluent one behind the same `send`/`flush`/`partitions_for`/`close`.

    Made for a cluster that loses a broker: acks=all waits for every in-sync replica (at
    least the topic's `min.insync.replicas`), and a send that fails on a leader that died is
    retried on the new leader, without limit until `send_timeout_s` runs out, with idempotence's
    per-partition sequence numbers keeping a key's records in order and unduplicated across
    the retries (up to 5 requests in flight). Past the timeout the relay reconnects and resumes
    from its last marker (docs/design.md, "Kafka contract")."""
    if driver == KAFKA_PYTHON:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            max_in_flight_requests_per_connection=5,
            linger_ms=linger_ms,
            batch_size=batch_bytes,
            retries=float("inf"),
            max_block_ms=int(send_timeout_s * 1000),
            request_timeout_ms=int(send_timeout_s * 1000),
            delivery_timeout_ms=int(send_timeout_s * 1000) + linger_ms,
        )
    if driver == CONFLUENT:
        return ConfluentProducer(
            bootstrap=bootstrap,
            client_id=client_id,
            send_timeout_s=send_timeout_s,
            linger_ms=linger_ms,
            batch_bytes=batch_bytes,
        )
    raise ValueError(f"unknown Kafka driver {driver!r}; one of {', '.join(DRIVERS)}")


def consumer_factory(driver: str) -> Callable[..., Any]:
    """What the projector calls with kafka-python's consumer arguments."""
    if driver == KAFKA_PYTHON:
        return KafkaConsumer
    if driver == CONFLUENT:
        return ConfluentConsumer
    raise ValueError(f"unknown Kafka driver {driver!r}; one of {', '.join(DRIVERS)}")


def poll_group(consumer: Any, timeout_ms: int) -> dict:
    """`consumer.poll`, then the rescue of a member kafka-python (3.0) left stranded.

    A group member rejoins when `need_rejoin()` says so; the join runs on the client's IO
    thread and `poll` waits for it only until its own timeout. When the rejoin was asked for
    by a change of the topic metadata (a leader that assigned with a metadata snapshot
    without the topic's partitions: a topic just created, a broker that had not heard of it
    yet, a 10 s refresh), the leader's own assignment records the new snapshot, so
    `need_rejoin()` turns false while the SyncGroup is still in flight. If `poll` returned
    before the answer, no later `poll` collects it: the member stays "rebalancing" with no
    partitions and no heartbeat, and its group projects nothing until the member is expelled
    and, again, nothing after (docs/design.md, "Pitfalls"). Asking for a rejoin makes the next
    `poll` wait for the join still in flight, or join again. No-op for other clients."""
    records = consumer.poll(timeout_ms=timeout_ms)
    coordinator = getattr(consumer, "_coordinator", None)
    if (
        getattr(coordinator, "rejoining", False)
        and not coordinator.need_rejoin()
        and getattr(coordinator, "group_id", None) is not None
    ):
        log.warning(
            "consumer group %s: a join was left unfinished; rejoining", coordinator.group_id
        )
        coordinator.request_rejoin()
    return records


# ---------------------------------------------------------------------- confluent-kafka


def _confluent():
    try:
        import confluent_kafka
    except ImportError as exc:  # the extra is not installed
        raise KafkaError(
            "CASETRACK_KAFKA_DRIVER=confluent needs the 'confluent' extra (confluent-kafka)"
        ) from exc
    return confluent_kafka


class Delivery:
    """A record's delivery report, shaped like kafka-python's future: `is_done`, `exception`
    and `get(timeout)`, which serves the producer's delivery reports while it waits."""

    __slots__ = ("is_done", "error", "_poll")

    def __init__(self, poll: Callable[[float], Any]) -> None:
        self.is_done = False
        self.error: Any = None
        self._poll = poll

    def __call__(self, error: Any, message: Any) -> None:
        self.error = error
        self.is_done = True

    @property
    def exception(self) -> KafkaError | None:
        return None if self.error is None else KafkaError(f"delivery failed: {self.error}")

    def get(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or 0)
        while not self.is_done and time.monotonic() < deadline:
            self._poll(min(0.1, deadline - time.monotonic()))
        if not self.is_done:
            raise KafkaTimeoutError("the record was not acknowledged in time")
        if self.error is not None:
            raise KafkaError(f"delivery failed: {self.error}")


class ConfluentProducer:
    def __init__(
        self,
        *,
        bootstrap: str,
        client_id: str,
        send_timeout_s: float,
        linger_ms: int,
        batch_bytes: int,
    ) -> None:
        ck = _confluent()
        self._ck = ck
        self._producer = ck.Producer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": client_id,
                "acks": "all",
                "enable.idempotence": True,
                "max.in.flight.requests.per.connection": 5,
                "linger.ms": linger_ms,
                "batch.size": batch_bytes,
                "message.timeout.ms": int(send_timeout_s * 1000),
                "request.timeout.ms": int(send_timeout_s * 1000),
                "partitioner": "murmur2_random",  # Java's (and kafka-python's) partition for a key
            }
        )
        self._unpolled = 0

    def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        partition: int | None = None,
    ) -> Delivery:
        delivery = Delivery(self._producer.poll)
        options: dict[str, Any] = {"key": key, "headers": headers, "on_delivery": delivery}
        if partition is not None:
            options["partition"] = partition
        while True:
            try:
                self._producer.produce(topic, value, **options)
                break
            except BufferError:  # the local queue is full: let librdkafka drain it
                self._producer.poll(0.05)
            except self._ck.KafkaException as exc:
                raise KafkaError(str(exc)) from exc
        self._unpolled += 1
        if self._unpolled >= 1000:
            self._producer.poll(0)  # serve delivery reports as we go
            self._unpolled = 0
        return delivery

    def flush(self, timeout: float | None = None) -> None:
        self._unpolled = 0
        if self._producer.flush(-1 if timeout is None else timeout) > 0:
            raise KafkaTimeoutError(f"records still unacknowledged after {timeout} s")

    def partitions_for(self, topic: str) -> set[int]:
        try:
            metadata = self._producer.list_topics(topic, timeout=10)
        except self._ck.KafkaException as exc:
            raise KafkaError(str(exc)) from exc
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            raise KafkaError(
                f"no metadata for topic {topic}: {found.error if found else 'missing'}"
            )
        return set(found.partitions)

    def close(self, timeout: float | None = None) -> None:
        self._producer.flush(5 if timeout is None else timeout)


class ConsumedRecord(NamedTuple):
    offset: int
    value: bytes | None
    headers: list[tuple[str, bytes]] | None


class ConfluentConsumer:
    """A group member subscribed to one topic; offsets are only committed by `commit`."""

    _REBALANCED = frozenset(
        {
            "ILLEGAL_GENERATION",
            "UNKNOWN_MEMBER_ID",
            "REBALANCE_IN_PROGRESS",
            "_ASSIGNMENT_LOST",
            "_STATE",
        }
    )

    def __init__(
        self,
        topic: str,
        *,
        bootstrap_servers: str,
        group_id: str,
        client_id: str,
        enable_auto_commit: bool = False,
        auto_offset_reset: str = "earliest",
        max_poll_records: int = 500,
        max_poll_interval_ms: int = 300_000,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
        metadata_max_age_ms: int = 300_000,
        fetch_max_bytes: int = 50 << 20,
        max_partition_fetch_bytes: int = 1 << 20,
    ) -> None:
        ck = _confluent()
        self._ck = ck
        self.max_poll_records = max_poll_records
        self._partitions: dict[str, tuple[float, set[int]]] = {}
        self._consumer = ck.Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group_id,
                "client.id": client_id,
                "enable.auto.commit": enable_auto_commit,
                "enable.auto.offset.store": False,
                "auto.offset.reset": auto_offset_reset,
                "max.poll.interval.ms": max_poll_interval_ms,
                "session.timeout.ms": session_timeout_ms,
                "heartbeat.interval.ms": heartbeat_interval_ms,
                "fetch.wait.max.ms": fetch_max_wait_ms,
                "topic.metadata.refresh.interval.ms": metadata_max_age_ms,
                "check.crcs": True,
                "fetch.max.bytes": fetch_max_bytes,
                "max.partition.fetch.bytes": max_partition_fetch_bytes,
                # librdkafka's own read-ahead (64 MiB by default), bounded like the fetches
                "queued.max.messages.kbytes": max(1024, 2 * fetch_max_bytes // 1024),
                # ... and, once over that bound, fetching again soon after the projector takes
                # from it (`QUEUE_BACKOFF_MS`).
                "fetch.queue.backoff.ms": QUEUE_BACKOFF_MS,
            }
        )
        self._consumer.subscribe([topic])

    def poll(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumedRecord]]:
        """What has arrived, at most `max_records`: waits up to `timeout_ms` for the first
        record only, like kafka-python (a full batch is never waited for)."""
        limit = max_records or self.max_poll_records
        deadline = time.monotonic() + timeout_ms / 1000
        first = None
        while first is None:
            first = self._consumer.poll(max(0.0, deadline - time.monotonic()))
            if first is None:
                return {}
            if self._skippable(first):
                first = None
                if time.monotonic() >= deadline:
                    return {}
        messages = (
            [first, *self._consumer.consume(num_messages=limit - 1, timeout=0)]
            if limit > 1
            else [first]
        )
        records: dict[TopicPartition, list[ConsumedRecord]] = defaultdict(list)
        for message in messages:
            if message.error() is not None and self._skippable(message):
                continue
            records[TopicPartition(message.topic(), message.partition())].append(
                ConsumedRecord(message.offset(), message.value(), message.headers())
            )
        return dict(records)

    def _skippable(self, message: Any) -> bool:
        error = message.error()
        if error is None:
            return False
        if error.code() == self._ck.KafkaError._PARTITION_EOF:
            return True
        raise KafkaError(f"consumer error: {error}")

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        partitions = [
            self._ck.TopicPartition(tp.topic, tp.partition, meta.offset)
            for tp, meta in offsets.items()
        ]
        try:
            self._consumer.commit(offsets=partitions, asynchronous=False)
        except self._ck.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is not None and getattr(error, "name", lambda: "")() in self._REBALANCED:
                raise CommitFailedError(str(exc)) from exc
            raise KafkaError(str(exc)) from exc

    # What `consumers.rebuild.caught_up` asks of a consumer.

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def partitions_for_topic(self, topic: str) -> set[int]:
        """From metadata at most 10 s old (a metadata request per check would cost more than
        the batch; partitions are only ever added, and rarely)."""
        cached = self._partitions.get(topic)
        if cached is not None and time.monotonic() - cached[0] < 10:
            return cached[1]
        found = self._consumer.list_topics(topic, timeout=10).topics.get(topic)
        partitions = set(found.partitions) if found is not None and found.error is None else set()
        if partitions:
            self._partitions[topic] = (time.monotonic(), partitions)
        return partitions

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """From the latest fetch response of each assigned partition (librdkafka keeps fetching
        in the background, so this trails the broker by at most one fetch wait); asked of the
        broker only before the first fetch. One request per partition per check would cost
        ~60 ms a batch."""
        ends = {}
        for tp in partitions:
            _, high = self._consumer.get_watermark_offsets(
                self._ck.TopicPartition(tp.topic, tp.partition), cached=True
            )
            ends[tp] = high if high >= 0 else self._watermarks(tp)[1]
        return ends

    def position(self, tp: TopicPartition) -> int:
        """The next offset to read; before the first fetch, the committed offset or the start."""
        (found,) = self._consumer.position([self._ck.TopicPartition(tp.topic, tp.partition)])
        if found.offset >= 0:
            return found.offset
        (committed,) = self._consumer.committed(
            [self._ck.TopicPartition(tp.topic, tp.partition)], timeout=10
        )
        return committed.offset if committed.offset >= 0 else self._watermarks(tp)[0]

    def _watermarks(self, tp: TopicPartition) -> tuple[int, int]:
        return self._consumer.get_watermark_offsets(
            self._ck.TopicPartition(tp.topic, tp.partition), timeout=10
        )

    def close(self) -> None:
        self._consumer.close()
