"""Small Kafka administration helpers: reachability and topic creation."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


def admin_client(bootstrap: str, *, timeout_s: float = 5.0) -> KafkaAdminClient:
    timeout_ms = int(timeout_s * 1000)
    return KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="casetrack-admin",
        request_timeout_ms=timeout_ms,
    )


def ping(bootstrap: str, *, timeout_s: float = 2.0) -> None:
    """Raise unless the cluster answers a metadata request within the timeout."""
    admin = admin_client(bootstrap, timeout_s=timeout_s)
    try:
        admin.list_topics()
    finally:
        admin.close()


def ensure_topic(
    bootstrap: str, name: str, *, partitions: int, config: dict[str, str] | None = None
) -> bool:
    """Create `name` if missing; True when this call created it."""
    admin = admin_client(bootstrap)
    try:
        if name in admin.list_topics():
            return False
        topic = NewTopic(
            name, num_partitions=partitions, replication_factor=1, topic_configs=config or {}
        )
        try:
            admin.create_topics([topic])
        except TopicAlreadyExistsError:
            return False
        log.info("created topic %s with %d partitions", name, partitions)
        return True
    finally:
        admin.close()
