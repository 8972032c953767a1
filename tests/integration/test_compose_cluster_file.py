"""docker/compose.cluster.yml parses, interpolates and validates as Docker Compose does, and
describes the cluster of docs/operations.md: three Kafka nodes with a quorum of three and
three copies of everything, three Elasticsearch nodes, PostgreSQL with a standby, and every
app given every broker and every node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_compose_file import ROOT, SECRETS, needs_go, run_check

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

COMPOSE = ROOT / "docker" / "compose.cluster.yml"
CLUSTER_SECRETS = {**SECRETS, "POSTGRES_REPLICATION_PASSWORD": "test-replication-password"}
BROKERS = ("kafka-1", "kafka-2", "kafka-3")
NODES = ("es-1", "es-2", "es-3")
APPS = ("api", "relay", "projector")


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    result = run_check(tmp_path_factory.mktemp("compose"), COMPOSE, secrets=CLUSTER_SECRETS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_go
def test_kafka_is_three_kraft_nodes_with_three_copies_of_every_topic(config):
    voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    for node_id, name in enumerate(BROKERS, start=1):
        env = config["services"][name]["environment"]
        assert env["KAFKA_NODE_ID"] == str(node_id)
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        for factor in (
            "KAFKA_DEFAULT_REPLICATION_FACTOR",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        ):
            assert env[factor] == "3", factor
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert "healthcheck" in config["services"][name]
    assert len({config["services"][b]["volumes"][0]["source"] for b in BROKERS}) == 3


@needs_go
def test_elasticsearch_is_three_master_eligible_nodes_with_tls(config):
    for name in NODES:
        service = config["services"][name]
        env = service["environment"]
        assert env["node.name"] == name
        assert env["discovery.seed_hosts"] == "es-1,es-2,es-3"
        assert env["cluster.initial_master_nodes"] == "es-1,es-2,es-3"
        assert "node.roles" not in env, "every node master-eligible (the default roles)"
        assert "discovery.type" not in env
        assert env["xpack.security.http.ssl.enabled"] == "true"
        assert env["xpack.security.transport.ssl.certificate"] == f"certs/{name}/{name}.crt"
        assert "ELASTIC_PASSWORD" not in env
        assert "healthcheck" in service


@needs_go
def test_the_event_store_has_a_synchronous_streaming_standby(config):
    primary = config["services"]["postgres"]
    assert "synchronous_standby_names=FIRST 1 (standby)" in primary["command"]
    standby = config["services"]["postgres-standby"]
    assert standby["depends_on"]["postgres"]["condition"] == "service_healthy"
    script = " ".join(standby["entrypoint"])
    assert "pg_basebackup -h postgres -U replicator" in script
    assert "application_name=standby" in script
    assert "postgres_replication_password" in {s["source"] for s in standby["secrets"]}


@needs_go
def test_apps_know_every_broker_and_node_and_scale_out(config):
    for name in APPS:
        service = config["services"][name]
        env = service["environment"]
        assert env["CASETRACK_ENV"] == "production"
        assert env["CASETRACK_KAFKA_BOOTSTRAP"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092"
        urls = env["CASETRACK_ES_URL"].split(",")
        assert [u.rsplit("@", 1)[1] for u in urls] == [f"{n}:9200" for n in NODES]
        assert all(u.startswith("https://casetrack:") for u in urls)
        assert env["CASETRACK_EVENT_STORE"].startswith("postgresql://casetrack:")
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        for dependency in ("postgres", *BROKERS, *NODES, "redis"):
            assert conditions[dependency] == "service_healthy", (name, dependency)
    services = config["services"]
    assert services["projector"]["command"] == ["python", "manage.py", "project", "all"]
    assert services["projector"]["deploy"]["replicas"] >= 2
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["relay"]["command"] == ["python", "manage.py", "relay"]
    assert services["relay"]["deploy"]["replicas"] == 2, "one active, one waiting on the lock"


@needs_go
def test_no_literal_password_in_the_file():
    text = Path(COMPOSE).read_text()
    for value in CLUSTER_SECRETS.values():
        assert value not in text


@needs_go
def test_a_missing_replication_secret_is_rejected_with_its_message(tmp_path):
    secrets = {k: v for k, v in CLUSTER_SECRETS.items() if k != "POSTGRES_REPLICATION_PASSWORD"}
    result = run_check(tmp_path, COMPOSE, secrets=secrets)
    assert result.returncode != 0
    assert "required variable POSTGRES_REPLICATION_PASSWORD is missing a value" in result.stderr
