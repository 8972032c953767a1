"""The optional confluent-kafka driver keeps the kafka-python driver's promises on the real
broker: the same partition for a key, acknowledged sends, batches grouped by partition,
records after a commit read again by the next member only from that commit."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata

from consumers.envelope import is_marker
from consumers.kafka_admin import ensure_topic
from consumers.kafka_driver import CONFLUENT, DRIVERS, KAFKA_PYTHON, consumer_factory, make_producer
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
