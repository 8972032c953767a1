"""The relay moves its position only over pages whose every send was acknowledged: how it
reads the futures of both drivers (no broker needed)."""

from __future__ import annotations

import pytest
from kafka.errors import KafkaError, KafkaTimeoutError, NotLeaderForPartitionError
from kafka.future import Future
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata
from kafka.structs import TopicPartition

from consumers.kafka_driver import Delivery
from consumers.relay import _acknowledged


def _done(error: Exception | None = None) -> Future:
    future = Future()
    if error is None:
        future.success(None)
    else:
        future.failure(error)
    return future


def test_a_page_is_acknowledged_only_when_every_send_succeeded():
    _acknowledged([_done(), _done(), _done()], 0)
    with pytest.raises(NotLeaderForPartitionError):
        _acknowledged([_done(), _done(NotLeaderForPartitionError()), _done()], 0)


def test_a_pending_send_is_waited_for_and_times_out():
    pending = FutureRecordMetadata(
        FutureProduceResult(TopicPartition("t", 0)), 0, 0, None, 1, 1, -1
    )
    with pytest.raises(KafkaTimeoutError):
        _acknowledged([_done(), pending], 0.01)


def test_a_confluent_delivery_serves_reports_while_waiting():
    reports: list[Delivery] = []

    def poll(timeout: float) -> None:  # librdkafka calls the report from poll
        if reports:
            reports.pop()(None, object())

    delivery = Delivery(poll)
    reports.append(delivery)
    delivery.get(timeout=5)
    assert delivery.is_done and delivery.exception is None
    _acknowledged([delivery], 0)


def test_a_failed_or_missing_confluent_delivery_raises():
    failed = Delivery(lambda timeout: None)
    failed("_MSG_TIMED_OUT", None)
    with pytest.raises(KafkaError, match="delivery failed"):
        _acknowledged([failed], 0)
    with pytest.raises(KafkaTimeoutError):
        Delivery(lambda timeout: None).get(timeout=0.01)
