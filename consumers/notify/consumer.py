"""The notifications consumer: the event topic -> notification records.

Its own consumer group on `casetrack.events`. Per polled batch:

1. events of the kinds that tell someone something are picked by their `event_type` header
   (others are only counted, by their `position` header); markers advance idle partitions;
2. each event's aggregate is loaded from the event store (the recipient and what names the
   record: `domain/notifications/recipients.py`), the party's preferences too, and the
   notification is composed in the party's language;
3. all of the batch's notifications, their deliveries and the consumer's positions are
   inserted in one transaction; an (event, recipient) already recorded inserts nothing;
4. only then the offsets are committed.

Nothing is sent here: sending is the dispatcher's, from the records. So a redelivered batch,
a relay's republished tail or a re-read of the whole topic records nothing twice and sends
nothing twice (docs/design.md, "Notifications").
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from consumers import kafka_admin
from consumers.envelope import is_marker
from consumers.kafka_driver import FETCH_MAX_WAIT_MS, poll_group
from consumers.notify.compose import compose, preferences
from domain.notifications.kinds import interesting, plan
from domain.notifications.recipients import Subject, subject_of
from domain.store import notifications as records

log = logging.getLogger(__name__)

CONSUMER = "notify"  # the name of its positions in the progress table


@dataclass
class NotifierStats:
    events: int = 0
    notified: int = 0
    duplicates: int = 0
    batches: int = 0


def _header(headers: Any, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode() if isinstance(value, bytes) else value
    return None


class Subjects:
    """Aggregates' subjects, cached: who a record concerns and what names it never change."""

    def __init__(self, app: Any, size: int = 50_000) -> None:
        self.app = app
        self.size = size
        self._cache: OrderedDict[str, Subject | None] = OrderedDict()

    def get(self, aggregate_id: str) -> Subject | None:
        if aggregate_id in self._cache:
            self._cache.move_to_end(aggregate_id)
            return self._cache[aggregate_id]
        found = subject_of(self.app.load_or_none(UUID(aggregate_id)))
        self._cache[aggregate_id] = found
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return found

    def forget(self, aggregate_id: str) -> None:
        self._cache.pop(aggregate_id, None)


class Notifier:
    def __init__(
        self,
        *,
        app: Any,
        bootstrap: str,
        topic: str,
        group_id: str,
        partitions: int = 12,
        consumer_factory: Callable[..., Any] = KafkaConsumer,
        max_poll_records: int = 2000,
        on_tick: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        progress_name: str = CONSUMER,
    ) -> None:
        self.app = app
        self.bootstrap = bootstrap
        self.topic = topic
        self.group_id = group_id
        self.partitions = partitions
        self.consumer_factory = consumer_factory
        self.max_poll_records = max_poll_records
        self.on_tick = on_tick
        self.clock = clock
        self.progress_name = progress_name
        self.subjects = Subjects(app)
        self.stats = NotifierStats()
        self.consumer: Any = None

    def _connect(self) -> None:
        kafka_admin.ensure_topic(
            self.bootstrap, self.topic, partitions=self.partitions, config={"retention.ms": "-1"}
        )
        self.consumer = self.consumer_factory(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id="casetrack-notify",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_poll_records,
            max_poll_interval_ms=900_000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )

    def close(self) -> None:
        if self.consumer is not None:
            try:
                self.consumer.close()
            except Exception:  # a consumer whose broker is gone may fail to close
                log.debug("close failed", exc_info=True)
        self.consumer = None

    def run(
        self, stop: threading.Event, *, until: Callable[[Notifier], bool] | None = None
    ) -> None:
        """Record notifications until `stop` is set (or `until(self)` is true after a poll)."""
        backoff = 0.5
        try:
            while not stop.is_set():
                self.on_tick()
                try:
                    if self.consumer is None:
                        self._connect()
                    polled = poll_group(self.consumer, 500)
                    if polled:
                        try:
                            self._with_retry(lambda p=polled: self.process(p), stop)
                        except InterruptedError:
                            return
                    backoff = 0.5
                    if until is not None and until(self):
                        return
                except (KafkaError, OSError) as exc:
                    log.warning("notify lost Kafka (%s); reconnecting in %.1f s", exc, backoff)
                    self.close()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 15.0)
        finally:
            self.close()

    def _with_retry(self, action: Callable[[], None], stop: threading.Event) -> None:
        """The event store busy or away: the batch is retried, nothing is committed meanwhile."""
        delay = 0.2
        while True:
            try:
                return action()
            except (KafkaError, CommitFailedError):
                raise
            except Exception as exc:  # the store's driver errors differ per adapter
                log.warning("notify: cannot record (%s); retrying in %.1f s", exc, delay)
                if stop.wait(delay):
                    raise InterruptedError("stopped") from exc
                delay = min(delay * 2, 10.0)

    def process(self, polled: dict[TopicPartition, list]) -> None:
        now = self.clock()
        progress: dict[int, int] = {}
        offsets: dict[TopicPartition, int] = {}
        composed = []
        prefs: dict[str, dict] = {}
        for tp, messages in polled.items():
            for message in messages:
                offsets[tp] = message.offset + 1
                if is_marker(message.headers):
                    position = int(orjson.loads(message.value)["published_up_to"])
                else:
                    self.stats.events += 1
                    event_type = _header(message.headers, "event_type")
                    header_position = _header(message.headers, "position")
                    if (
                        event_type is not None
                        and header_position is not None
                        and not interesting(event_type)
                    ):
                        position = int(header_position)
                    else:
                        envelope = orjson.loads(message.value)
                        position = int(envelope["position"])
                        note = self._planned(envelope)
                        if note is not None:
                            ref = self.app.keyring.party_ref(note.recipient)
                            if ref not in prefs:
                                prefs[ref] = preferences(self.app, ref)
                            composed.append(compose(note, ref, prefs[ref], now))
                progress[tp.partition] = max(progress.get(tp.partition, 0), position)
        inserted = records.record(
            self.app.store, composed, consumer=self.progress_name, progress=progress
        )
        self.stats.notified += len(inserted)
        self.stats.duplicates += len(composed) - len(inserted)
        self.stats.batches += 1
        try:
            self.consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
            )
        except CommitFailedError:
            # Rebalanced meanwhile: another member reads these again and records nothing new.
            log.warning("notify: commit refused after a rebalance")

    def _planned(self, envelope: dict):
        if not interesting(envelope.get("event_type", "")):
            return None
        subject = self.subjects.get(envelope["aggregate_id"])
        case_number = None
        if subject is not None and subject.case_id and not subject.case_number:
            case = self.subjects.get(subject.case_id)
            case_number = case.case_number if case else None
        return plan(envelope, subject, case_number)


def caught_up(notifier: Notifier) -> bool:
    """Every assigned partition read to its end offset (for `--until-caught-up`)."""
    consumer = notifier.consumer
    if consumer is None:
        return False
    assigned = consumer.assignment()
    partitions = consumer.partitions_for_topic(notifier.topic) or set()
    if not assigned or len(assigned) < len(partitions):
        return False
    ends = consumer.end_offsets(list(assigned))
    return all(consumer.position(tp) >= ends[tp] for tp in assigned)
