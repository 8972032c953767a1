"""The optional confluent-kafka driver keeps the kafka-python driver's promises on the real
broker: the same partition for a key, acknowledged sends, batches grouped by partition,
records after a commit read again by the next member only from that commit."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata

from consumers.envelope import is_marker
from consumers.kafka_admin import ensure_topic
from consumers.kafka_driver import (
    CONFLUENT,
    DRIVERS,
    FETCH_MAX_WAIT_MS,
    KAFKA_PYTHON,
    consumer_factory,
    make_producer,
)
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def _partitions_by_key(bootstrap: str, topic: str) -> dict[bytes, set[int]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    seen: dict[bytes, set[int]] = {}
    for record in consumer:
        seen.setdefault(record.key, set()).add(record.partition)
    consumer.close()
    return seen


def test_both_drivers_put_an_aggregate_on_the_same_partition(kafka_bootstrap, unique):
    keys = [str(uuid.uuid4()).encode() for _ in range(200)]
    placed = {}
    for driver in DRIVERS:
        topic = f"test.driver.{driver}.{unique}"
        ensure_topic(kafka_bootstrap, topic, partitions=12, config={"retention.ms": "-1"})
        producer = make_producer(
            driver, bootstrap=kafka_bootstrap, client_id="test", send_timeout_s=30
        )
        assert producer.partitions_for(topic) == set(range(12))
        futures = [
            producer.send(topic, key=key, value=b"{}", headers=[("event_type", b"X")])
            for key in keys
            for _ in range(2)
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)  # acknowledged, or raises
        producer.close(timeout=5)
        placed[driver] = _partitions_by_key(kafka_bootstrap, topic)
    assert set(placed[CONFLUENT]) == set(keys)
    assert all(len(p) == 1 for p in placed[CONFLUENT].values()), "one key, one partition"
    assert placed[CONFLUENT] == placed[KAFKA_PYTHON]


def test_the_confluent_consumer_groups_by_partition_and_resumes_after_its_commit(
    kafka_bootstrap, unique
):
    topic = f"test.driver.consume.{unique}"
    ensure_topic(kafka_bootstrap, topic, partitions=3, config={"retention.ms": "-1"})
    producer = make_producer(
        KAFKA_PYTHON, bootstrap=kafka_bootstrap, client_id="test", send_timeout_s=30
    )
    for i in range(30):
        producer.send(topic, key=f"k{i % 5}".encode(), value=str(i).encode())
    producer.send(
        topic, partition=0, value=b'{"published_up_to": 30}', headers=[("casetrack_marker", b"1")]
    )
    producer.flush(timeout=30)
    producer.close()

    group = f"g-{unique}"
    options = dict(
        bootstrap_servers=kafka_bootstrap, group_id=group, client_id="test", max_poll_records=10
    )
    first = consumer_factory(CONFLUENT)(topic, **options)
    got: dict = {}
    wait_until(lambda: _poll_into(first, got) >= 20, timeout_s=30, what="20 records")
    offsets = {tp: [r.offset for r in records] for tp, records in got.items()}
    assert all(o == sorted(o) for o in offsets.values())
    first.commit({tp: OffsetAndMetadata(o[-1] + 1, "", -1) for tp, o in offsets.items()})
    first.close()

    second = consumer_factory(CONFLUENT)(topic, **options)
    rest: dict = {}
    wait_until(
        lambda: _poll_into(second, rest) >= 31 - sum(len(o) for o in offsets.values()),
        timeout_s=30,
        what="the rest of the records",
    )
    second.close()
    for tp, records in rest.items():
        assert min(r.offset for r in records) == (offsets[tp][-1] + 1 if tp in offsets else 0)
    everything = [r for records in [*got.values(), *rest.values()] for r in records]
    assert sorted(int(r.value) for r in everything if not is_marker(r.headers)) == list(range(30))
    assert sum(is_marker(r.headers) for r in everything) == 1


def _poll_into(consumer, into: dict) -> int:
    polled = consumer.poll(timeout_ms=500)
    assert sum(len(records) for records in polled.values()) <= 10, "max_poll_records holds"
    for tp, records in polled.items():
        into.setdefault(tp, []).extend(records)
    return sum(len(records) for records in into.values())


def test_a_bounded_read_ahead_does_not_throttle_the_confluent_consumer(kafka_bootstrap, unique):
    """The projector bounds librdkafka's read-ahead (`queued.max.messages.kbytes`, 2 MiB
    here). Over that bound librdkafka waits `fetch.queue.backoff.ms` before fetching again:
    at its default of 1 s, 16 MiB read in batches 0.1 s apart took 4-5 s, against 1 s."""
    topic = f"test.driver.readahead.{unique}"
    ensure_topic(kafka_bootstrap, topic, partitions=12, config={"retention.ms": "-1"})
    producer = make_producer(
        KAFKA_PYTHON, bootstrap=kafka_bootstrap, client_id="test", send_timeout_s=30
    )
    total, value = 16384, b"x" * 1024
    for i in range(total):
        producer.send(topic, key=f"k{i % 30}".encode(), value=value)
    producer.flush(timeout=60)
    producer.close()

    consumer = consumer_factory(CONFLUENT)(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{unique}",
        client_id="test",
        max_poll_records=5000,
        fetch_max_bytes=1 << 20,  # the read-ahead's bound: twice that
        max_partition_fetch_bytes=256 << 10,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,  # the projector's
    )
    try:
        polled: list[int] = []
        wait_until(
            lambda: polled.append(_count(consumer.poll(timeout_ms=500))) or polled[-1] > 0,
            timeout_s=30,
            what="a record",
        )
        started = time.monotonic()
        while sum(polled) < total and time.monotonic() - started < 20:
            time.sleep(0.1)  # a batch's work, while librdkafka fills its queue up to the bound
            polled.append(_count(consumer.poll(timeout_ms=100)))
        elapsed = time.monotonic() - started
    finally:
        consumer.close()
    assert sum(polled) == total
    assert elapsed < 3, f"16 MiB took {elapsed:.1f} s: the read-ahead is throttled"


def _count(polled: dict) -> int:
    return sum(len(records) for records in polled.values())


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_held_fetch_is_answered_when_a_record_arrives(kafka_bootstrap, unique, driver):
    """An idle consumer's fetch waits at the broker for up to `fetch_max_wait_ms`
    (`FETCH_MAX_WAIT_MS` for the projectors and the notifier); a record arriving meanwhile
    answers it at once. So the wait sets how often an idle consumer asks, not how late it
    hears of an event: here a 10 s wait must not delay a record by anything like it."""
    topic = f"test.driver.held.{driver}.{unique}"
    ensure_topic(kafka_bootstrap, topic, partitions=12, config={"retention.ms": "-1"})
    producer = make_producer(driver, bootstrap=kafka_bootstrap, client_id="test", send_timeout_s=30)
    consumer = consumer_factory(driver)(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{unique}",
        client_id="test",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10_000,
    )
    try:
        seen: list[int] = []
        producer.send(topic, key=b"first", value=b"x")
        producer.flush(timeout=30)
        wait_until(
            lambda: seen.append(_count(consumer.poll(timeout_ms=200))) or sum(seen) == 1,
            timeout_s=30,
            what="the first record",
        )
        for _ in range(5):  # idle for a second: the next fetch is held at the broker
            assert _count(consumer.poll(timeout_ms=200)) == 0
        sent = time.monotonic()
        producer.send(topic, key=b"second", value=b"y")
        producer.flush(timeout=30)
        wait_until(
            lambda: _count(consumer.poll(timeout_ms=100)) == 1, timeout_s=30, what="the second"
        )
        waited = time.monotonic() - sent
    finally:
        consumer.close()
        producer.close()
    assert waited < 4, f"the record waited {waited:.1f} s for a fetch held up to 10 s"
