"""Small Kafka administration helpers: reachability and topic creation."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

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
    """Create `name` if missing; True when this call created it.

    The replication factor and `min.insync.replicas` are the cluster's own defaults
    (`default.replication.factor`, `min.insync.replicas` of the brokers): 1 on the single-node
    stack, 3 and 2 on the cluster (docker/local/kafka/cluster.properties.in), whatever a
    deployment sets, with no setting of Casetrack's to keep in step."""
    admin = admin_client(bootstrap)
    try:
        if name in admin.list_topics():
            return False
        topic = NewTopic(
            name, num_partitions=partitions, replication_factor=-1, topic_configs=config or {}
        )
        try:
            admin.create_topics([topic])
        except TopicAlreadyExistsError:
            return False
        log.info("created topic %s with %d partitions", name, partitions)
        _wait_for_leaders(admin, name, partitions)
        return True
    finally:
        admin.close()


def _wait_for_leaders(admin: KafkaAdminClient, name: str, partitions: int) -> None:
    """A topic just created is usable once every partition has a leader (on a cluster that
    takes a moment): wait for it, up to 30 s, so the caller's first send or poll finds it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            (described,) = admin.describe_topics([name])
            led = [p for p in described["partitions"] if p["leader_id"] >= 0]
            if len(led) == partitions:
                return
        except (KafkaError, ValueError):  # not known to the broker asked yet
            pass
        time.sleep(0.1)
    log.warning("topic %s has partitions without a leader after 30 s", name)
