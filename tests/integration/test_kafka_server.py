"""The local Kafka broker does what the relay and projectors rely on."""

from __future__ import annotations

import pytest
from kafka import KafkaConsumer, KafkaProducer

from consumers.kafka_admin import admin_client, ensure_topic

pytestmark = pytest.mark.integration


def test_a_message_produced_by_an_idempotent_producer_is_consumed_once_in_order(
    kafka_bootstrap, unique
):
    topic = f"test.smoke.{unique}"
    assert ensure_topic(kafka_bootstrap, topic, partitions=3, config={"retention.ms": "-1"})
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
    )
    sent = [f"事件-{i}".encode() for i in range(20)]
    for value in sent:
        producer.send(topic, key=b"case-1", value=value, headers=[("event_type", b"CaseSubmitted")])
    producer.flush(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{unique}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15000,
    )
    consumer.subscribe([topic])
    received = []
    for message in consumer:
        received.append(message)
        if len(received) == len(sent):
            break
    consumer.close()

    assert [m.value for m in received] == sent
    assert {m.partition for m in received} == {received[0].partition}, "one key, one partition"
    assert dict(received[0].headers)["event_type"] == b"CaseSubmitted"


def test_a_topic_is_created_once_with_its_partitions_and_unbounded_retention(
    kafka_bootstrap, unique
):
    topic = f"test.create.{unique}"
    assert ensure_topic(kafka_bootstrap, topic, partitions=4, config={"retention.ms": "-1"}) is True
    assert ensure_topic(kafka_bootstrap, topic, partitions=4) is False
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap)
    try:
        assert consumer.partitions_for_topic(topic) == {0, 1, 2, 3}
    finally:
        consumer.close()
    admin = admin_client(kafka_bootstrap)
    try:
        from kafka.admin import ConfigResource, ConfigResourceType

        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        assert described["topic"][topic]["retention.ms"]["value"] == "-1"
    finally:
        admin.delete_topics([topic])
        admin.close()
