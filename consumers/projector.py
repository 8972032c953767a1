"""The projector: Kafka `casetrack.events` -> one projection -> Elasticsearch.

One consumer group per projection; several processes of one projection share its
partitions. Per polled batch:

1. markers and events are sorted out; each aggregate's events are folded, in order, onto its
   current document, skipping versions already applied (duplicates). The document is read
   (realtime mget) only when needed: not for an aggregate the batch starts at version 1
   (its events determine the document; should one exist after a redelivery, it is the same
   document, and external versioning refuses it unless newer), nor for one the previous
   batch has just folded;
2. an event the projection cannot apply goes to the dead-letter topic with the error, and
   its aggregate's document is marked degraded at that version; the rest carry on;
3. the documents are bulk-indexed with `version_type=external` (409 = already applied), dead
   letters are flushed, the index is refreshed (searchable);
4. only then the per-partition checkpoints advance and the offsets are committed. While the
   projector catches up (full batches), steps 3's refresh and 4 run at most once a second for
   all the batches written since (a refresh per batch was a quarter of the write time); a
   batch that is not full is finished at once, so live freshness is unchanged.

Batches are pipelined: batch N+1 is polled and folded while batch N is written by a writer
thread; N+1's write starts once N's has been acknowledged, and checkpoints and offsets only
ever cover written batches. N+1's reads of documents N does not touch run during N's write
(with 12 partitions an aggregate's events often come two batches apart: waiting for N's write
first left the writer idle while the next batch was folded).

Elasticsearch down: the batch is retried with exponential back-off and nothing is committed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from elasticsearch import ApiError, TransportError
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from consumers import kafka_admin
from consumers.collector import collector_paused
from consumers.envelope import dumps, is_marker, routing
from consumers.kafka_driver import FETCH_MAX_WAIT_MS, poll_group
from projections.base import Projection, ProjectionError, json_copy
from search.store import BulkFailed, ReadModels, Write

log = logging.getLogger(__name__)

ES_ERRORS = (ApiError, TransportError, BulkFailed, ConnectionError)


@dataclass
class ProjectorStats:
    events: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    batches: int = 0
    checkpoints: dict[int, int] = field(default_factory=dict)
    last_event_at: float = 0.0


@dataclass
class Batch:
    """One poll, sorted out: events to apply per aggregate, and per-partition progress."""

    events: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    progress: dict[int, int] = field(default_factory=dict)  # partition -> highest position seen
    offsets: dict[TopicPartition, int] = field(default_factory=dict)  # next offset to read
    count: int = 0
    size: int = 0  # bytes of the records' values


def sort_out(records: dict[TopicPartition, list], projection: Projection) -> Batch:
    """Another aggregate type's event is only counted (its position from the headers): each
    projection decodes its own events, not every event of the topic."""
    batch = Batch()
    events = batch.events
    own = projection.aggregate_type
    for tp, messages in records.items():
        if not messages:
            continue
        highest = batch.progress.get(tp.partition, 0)
        for message in messages:
            headers = message.headers
            batch.size += len(message.value or b"")
            if is_marker(headers):
                position = int(orjson.loads(message.value)["published_up_to"])
            else:
                batch.count += 1
                routed = routing(headers)
                if routed is not None and routed[0] != own:
                    position = routed[1]
                else:
                    value = orjson.loads(message.value)
                    position = int(value["position"])
                    if projection.handles(value):
                        events[value["aggregate_id"]].append(value)
            if position > highest:
                highest = position
        batch.offsets[tp] = messages[-1].offset + 1
        batch.progress[tp.partition] = highest
    return batch


@dataclass(frozen=True)
class DeadLetter:
    envelope: dict
    message: str
    attempts: int


@dataclass(frozen=True)
class Pending:
    """A folded batch whose documents are being written."""

    write: Future  # of the bulk write; its result is None if stopped first
    batch: Batch
    dead: list[DeadLetter]
    documents: dict[str, dict]  # aggregate id -> its document after this batch
    wrote: bool


@dataclass
class Unfinished:
    """Batches written but not yet refreshed, checkpointed and committed."""

    batches: int = 0
    wrote: bool = False
    progress: dict[int, int] = field(default_factory=dict)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)

    def add(self, pending: Pending) -> None:
        self.batches += 1
        self.wrote = self.wrote or pending.wrote
        for partition, position in pending.batch.progress.items():
            self.progress[partition] = max(self.progress.get(partition, 0), position)
        self.offsets.update(pending.batch.offsets)


def fold(
    projection: Projection, document: dict | None, envelopes: list[dict], *, attempts: int = 3
) -> tuple[dict | None, int, int, list[DeadLetter]]:
    """Apply an aggregate's envelopes in order; (document, applied, duplicates, dead letters).
    The input document is not changed; with nothing applied it is returned as it is."""
    ordered = sorted(envelopes, key=lambda e: e["aggregate_version"])
    folded = _fold_in_place(projection, document, ordered)
    if folded is not None:
        return folded
    applied = duplicates = 0
    dead: list[DeadLetter] = []
    for envelope in ordered:
        version = envelope["aggregate_version"]
        current = document["aggregate_version"] if document else 0
        if version <= current:
            duplicates += 1
            continue
        error = None
        if version != current + 1:
            error = f"version {version} follows {current}: events are missing"
        else:
            for _ in range(attempts):
                try:
                    # `apply` works on a copy: a handler failing half-way leaves no trace.
                    document = projection.apply(document, envelope)
                    error = None
                    break
                except ProjectionError as exc:
                    error = str(exc)
        if error is None:
            applied += 1
            continue
        dead.append(DeadLetter(envelope, error, attempts))
        document = degraded(projection, document, envelope, error)
    return document, applied, duplicates, dead


def _fold_in_place(
    projection: Projection, document: dict | None, ordered: list[dict]
) -> tuple[dict | None, int, int, list[DeadLetter]] | None:
    """The usual case, fast: every event applies, onto one copy of the document (instead of a
    copy per event). None at the first gap or failure: `fold` then starts again from the
    untouched input, one event at a time, and dead-letters what fails."""
    working = json_copy(document)
    applied = duplicates = 0
    for envelope in ordered:
        version = envelope["aggregate_version"]
        current = working["aggregate_version"] if working else 0
        if version <= current:
            duplicates += 1
            continue
        if version != current + 1:
            return None
        try:
            working = projection.apply_in_place(working, envelope)
        except ProjectionError:
            return None
        applied += 1
    return (working if applied else document), applied, duplicates, []


def degraded(projection: Projection, document: dict | None, envelope: dict, reason: str) -> dict:
    """The last good document (or the envelope's scoping fields) marked degraded at this version."""
    document = (
        dict(document)
        if document
        else {
            "type": projection.document_type,
            "department": envelope.get("department"),
            "status": "unknown",
            "party_ids": [],
        }
    )
    document.update(
        degraded=True,
        degraded_reason=reason,
        position=envelope["position"],
        aggregate_version=envelope["aggregate_version"],
        updated_at=envelope.get("occurred_at"),
    )
    document[projection.id_field] = envelope["aggregate_id"]
    return document


class Projector:
    def __init__(
        self,
        *,
        projection: Projection,
        read_models: ReadModels,
        bootstrap: str,
        topic: str,
        dead_letter_topic: str,
        group_id: str,
        partitions: int = 12,
        target: str | None = None,
        checkpoint_name: str | None = None,
        max_poll_records: int = 5000,
        fetch_max_bytes: int = 2 << 20,
        max_partition_fetch_bytes: int = 256 << 10,
        attempts: int = 3,
        consumer_factory: Callable[..., KafkaConsumer] = KafkaConsumer,
        on_tick: Callable[[], None] = lambda: None,
        refresh_each_batch: bool = True,
        finish_interval_s: float = 1.0,
    ) -> None:
        self.projection = projection
        self.read_models = read_models
        self.bootstrap = bootstrap
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.group_id = group_id
        self.partitions = partitions
        self.target = target or read_models.names.alias(projection.name)
        self.checkpoint_name = checkpoint_name or projection.name
        self.max_poll_records = max_poll_records
        # What the consumer fetches ahead, whole records, per response and per partition. The
        # kafka-python defaults (50 MiB, 1 MiB) held ~66 MiB per consumer at 12 partitions;
        # `project all` runs seven (loadtests/RESULTS.md). 2 MiB is ~1,600 envelopes a poll.
        self.fetch_max_bytes = fetch_max_bytes
        self.max_partition_fetch_bytes = max_partition_fetch_bytes
        self.attempts = attempts
        self.consumer_factory = consumer_factory
        self.on_tick = on_tick
        # Live projectors refresh after each batch (their checkpoints promise "searchable");
        # a rebuild's index serves no query until the swap, which refreshes it once.
        self.refresh_each_batch = refresh_each_batch
        self.stats = ProjectorStats()
        self.consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._pending: Pending | None = None
        self._unfinished = Unfinished()
        self._finished_at = 0.0
        self.finish_interval_s = finish_interval_s
        self._writer: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ connections

    def _connect(self) -> None:
        # A consumer subscribed to a topic that does not exist yet only notices it at its next
        # metadata refresh (minutes): create it, with the relay's settings, if we come first.
        kafka_admin.ensure_topic(
            self.bootstrap, self.topic, partitions=self.partitions, config={"retention.ms": "-1"}
        )
        kafka_admin.ensure_topic(
            self.bootstrap, self.dead_letter_topic, partitions=1, config={"retention.ms": "-1"}
        )
        self.consumer = self.consumer_factory(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"casetrack-projector-{self.projection.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_poll_records,
            fetch_max_bytes=self.fetch_max_bytes,
            max_partition_fetch_bytes=self.max_partition_fetch_bytes,
            max_poll_interval_ms=900_000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            # A leader that assigned with metadata from before the topic reached the broker it
            # asked (a topic just created; on a cluster, brokers learn of it one by one) assigns
            # nothing until its metadata changes: refreshed every 10 s, not at the 5-minute
            # default. The rejoin that change starts could strand the member in kafka-python
            # 3.0, which `poll_group` repairs (docs/design.md, "Pitfalls").
            metadata_max_age_ms=10_000,
        )

    def _dead_letter_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                enable_idempotence=True,
                client_id="casetrack-dead-letters",
            )
        return self._producer

    def close(self) -> None:
        for client in (self.consumer, self._producer):
            if client is not None:
                try:
                    client.close()
                except (
                    Exception
                ):  # a client whose broker is gone may fail to close; it is discarded
                    log.debug("close failed", exc_info=True)
        self.consumer = self._producer = None

    # ------------------------------------------------------------------ the loop

    def run(
        self,
        stop: threading.Event,
        *,
        until: Callable[[Projector], bool] | None = None,
        keep_open: bool = False,
    ) -> None:
        """Project until `stop` is set (or `until(self)` is true after a batch). With
        `keep_open`, a run that `until` ends leaves the consumer in its group, with everything
        it read finished and committed, for the next `run` (or `close`)."""
        if self._with_backoff(self._prepare, stop) is None:
            return
        backoff = 0.5
        ended = False  # by `until`, everything finished
        self._writer = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"projector-{self.projection.name}"
        )
        try:
            while not stop.is_set():
                self.on_tick()
                try:
                    if self.consumer is None:
                        self._connect()
                    # With a batch being written, only take what has already arrived: when
                    # nothing has, that batch is finished at once (freshness).
                    records = poll_group(self.consumer, 0 if self._pending else 500)
                    if records:
                        self.process(records, stop)
                        records = None  # freed before the next poll fetches more
                    elif not self.finish_pending(stop):
                        continue
                    backoff = 0.5
                    if until is not None and until(self):
                        if self.finish_pending(stop) and keep_open:
                            ended = True
                        return
                except (KafkaError, OSError) as exc:
                    log.warning(
                        "projector %s lost Kafka (%s: %s); reconnecting in %.1f s",
                        self.projection.name,
                        type(exc).__name__,
                        exc,
                        backoff,
                    )
                    self._abandon_pending()
                    self.close()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 15.0)
            self.finish_pending(stop)
        finally:
            self._abandon_pending()
            self._writer.shutdown(wait=True)
            if not ended:
                self.close()

    def _prepare(self) -> bool:
        """The read model's index and the checkpoints index exist (waits out an Elasticsearch outage)."""
        if self.target == self.read_models.names.alias(self.projection.name):
            self.read_models.ensure(self.projection.name)
        self.read_models.ensure_checkpoints()
        return True

    def process(self, records: dict[TopicPartition, list], stop: threading.Event) -> None:
        """Fold a batch while the previous one is still being written, then start its write.

        Documents are read only for aggregates the batch does not start at version 1 and the
        previous batch did not just fold up to here; a realtime get sees every acknowledged
        write (no refresh needed), so the reads wait for the previous batch's write only when
        it holds one of those aggregates. Checkpoints and offsets follow the
        writes they cover (`finish_pending`)."""
        with collector_paused():
            batch = sort_out(records, self.projection)
        self.stats.events += batch.count
        # A poll cut short by a limit (records or bytes) means more are waiting.
        catching_up = (
            batch.count >= self.max_poll_records // 2 or batch.size >= self.fetch_max_bytes // 2
        )
        recent = self._pending.documents if self._pending else {}
        to_read = [
            aggregate_id
            for aggregate_id, envelopes in batch.events.items()
            if (first := min(e["aggregate_version"] for e in envelopes)) > 1
            and (
                aggregate_id not in recent or recent[aggregate_id]["aggregate_version"] < first - 1
            )
        ]
        current: dict[str, dict] = {}
        if to_read:
            # Only a document the batch being written changes must wait for that write; the
            # others are as they will stay (earlier writes are acknowledged), so they are read
            # while it runs.
            if any(aggregate_id in recent for aggregate_id in to_read) and not (
                self.finish_pending(stop, catching_up=catching_up)
            ):
                return
            read = self._with_backoff(lambda: self.read_models.get_many(self.target, to_read), stop)
            if read is None:
                return
            current = read
        reading = set(to_read)
        writes: list[Write] = []
        dead: list[DeadLetter] = []
        documents: dict[str, dict] = {}
        with collector_paused():
            for aggregate_id, envelopes in batch.events.items():
                before = (
                    current.get(aggregate_id)
                    if aggregate_id in reading
                    else recent.get(aggregate_id)
                )
                document, applied, duplicates, letters = fold(
                    self.projection, before, envelopes, attempts=self.attempts
                )
                self.stats.applied += applied
                self.stats.duplicates += duplicates
                dead.extend(letters)
                if document is not None:
                    documents[aggregate_id] = document
                    if document is not before:
                        writes.append(Write(aggregate_id, document["aggregate_version"], document))
        batch.events.clear()  # folded: only its progress and offsets are kept until finished
        if not self.finish_pending(stop, catching_up=catching_up):
            return
        write = self._writer.submit(self._with_backoff, lambda: self._write(writes), stop)
        self._pending = Pending(write, batch, dead, documents, wrote=bool(writes))

    def finish_pending(self, stop: threading.Event, *, catching_up: bool = False) -> bool:
        """Wait for the batch being written and send its dead letters; then refresh, save the
        checkpoints and commit the offsets of every batch written so far. While catching up
        (full batches), that last part runs at most every `finish_interval_s`, so that several
        batches share one refresh. False when stopped first (nothing unfinished is committed)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            if pending.write.result() is None:
                return False
            if pending.dead:
                self._send_dead_letters(pending.dead)
            self._unfinished.add(pending)
        if not self._unfinished.batches:
            return True
        if catching_up and time.monotonic() - self._finished_at < self.finish_interval_s:
            return True
        return self._finish(stop)

    def _finish(self, stop: threading.Event) -> bool:
        done = self._unfinished
        if (
            done.wrote
            and self.refresh_each_batch
            and self._with_backoff(lambda: self.read_models.refresh(self.target) or True, stop)
            is None
        ):
            return False
        if (
            self._with_backoff(
                lambda: (
                    self.read_models.save_checkpoints(self.checkpoint_name, done.progress) or True
                ),
                stop,
            )
            is None
        ):
            return False
        self.stats.checkpoints.update(done.progress)
        self.stats.batches += done.batches
        self.stats.last_event_at = time.time()
        try:
            self.consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in done.offsets.items()}
            )
        except CommitFailedError:
            # The group rebalanced while we worked: another member re-reads these records
            # from the last commit; the writes above are idempotent, so that is harmless.
            log.warning("projector %s: commit refused after a rebalance", self.projection.name)
        self._unfinished = Unfinished()
        self._finished_at = time.monotonic()
        return True

    def _abandon_pending(self) -> None:
        """Let a write in progress end, and commit nothing unfinished (its records come again)."""
        self._unfinished = Unfinished()
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                pending.write.result()
            except Exception:  # its records are read again; the error shows when they are
                log.debug("abandoned write failed", exc_info=True)

    def _write(self, writes: list[Write]) -> bool:
        if writes:
            self.read_models.write(self.target, writes)
        return True

    def _send_dead_letters(self, dead: list[DeadLetter]) -> None:
        producer = self._dead_letter_producer()
        failed_at = datetime.now(UTC).isoformat()
        futures = []
        for letter in dead:
            value = {
                **letter.envelope,
                "error": {
                    "projection": self.projection.name,
                    "message": letter.message,
                    "attempts": letter.attempts,
                    "failed_at": failed_at,
                },
            }
            futures.append(
                producer.send(
                    self.dead_letter_topic,
                    key=letter.envelope["aggregate_id"].encode(),
                    value=dumps(value),
                )
            )
            log.error(
                "dead letter: %s %s v%s at position %s: %s",
                self.projection.name,
                letter.envelope["aggregate_id"],
                letter.envelope["aggregate_version"],
                letter.envelope["position"],
                letter.message,
            )
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=30)
        self.stats.dead_letters += len(dead)

    def _with_backoff(self, action: Callable, stop: threading.Event):
        """Run `action` until it succeeds; on Elasticsearch errors wait exponentially. None if stopped."""
        delay = 0.2
        while True:
            try:
                return action()
            except ES_ERRORS as exc:
                log.warning(
                    "projector %s: Elasticsearch unavailable (%s); retrying in %.1f s",
                    self.projection.name,
                    type(exc).__name__,
                    delay,
                )
                if stop.wait(delay * (1 + random.random() / 4)):
                    return None
                delay = min(delay * 2, 10.0)
