"""Failover on the local cluster (docker/local/cluster.sh): a Kafka broker, an Elasticsearch
node or a projector process killed with SIGKILL while Casetrack works, and nothing lost, no
search failed, every read model converging on the event store (docs/operations.md).

Sized for two shared cores: small heaps (cluster.sh), generous deadlines, a light load that
spans the fault."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.test import Client
from kafka import KafkaAdminClient
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)

from api import health
from api.auth import issue_dev_token
from consumers.topics import Topics
from domain.services import Casetrack
from loadtests.cleanup import remove_named
from projections import EVENT_PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.cluster import Cluster
from tests.support.live import live_casetrack
from tests.support.processes import assert_per_aggregate_order, kill, manage, read_topic
from tests.support.readmodels import differences
from tests.support.scenarios import run_full_day
from tests.support.stack import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.cluster]
PARTITIONS = 6
CONVERGE_S = 300


class World:
    """One isolated Casetrack on the cluster: its own store file, topic and index prefix, and
    its relay and projectors as processes of their own."""

    def __init__(self, tmp_path, unique: str, cluster: Cluster) -> None:
        self.prefix = f"test-cluster-{unique}"
        self.env = {
            **cluster.env,
            "CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}",
            "CASETRACK_TOPIC_PREFIX": self.prefix,
            "CASETRACK_INDEX_PREFIX": self.prefix,
            "CASETRACK_PARTITIONS": str(PARTITIONS),
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
        self.cluster = cluster
        self.app = Casetrack(env=self.env)
        self.read_models = ReadModels(make_client(cluster.es_url, timeout_s=30), Names(self.prefix))
        self.read_models.ensure_all()
        self.topics = Topics(self.prefix)
        self.logs = tmp_path
        self.processes: list = []

    def start(self, *args: str, name: str | None = None):
        log = self.logs / f"{name or args[0]}.log"
        process = manage(*args, env=self.env, log=log)
        self.processes.append(process)
        return process

    def watermark(self) -> int:
        return min(self.read_models.watermark(name, PARTITIONS) for name in EVENT_PROJECTIONS)

    def caught_up(self) -> bool:
        try:
            return self.watermark() >= self.app.max_position()
        except Exception:  # a node may still be failing over
            return False

    def converged(self) -> bool:
        return self.caught_up() and not differences(self.app, self.read_models)

    def load(self) -> Load:
        return Load(self.app)

    def close(self) -> None:
        for process in self.processes:
            kill(process)
        # topics, consumer groups and indices: the cluster's data outlives the session
        remove_named(
            lambda name: name.startswith(self.prefix),
            kafka=self.cluster.bootstrap,
            es=self.cluster.es_url,
        )
        self.app.close()


class Load:
    """Commands in a thread, one full day (every event type) after another, until stopped; the
    fault falls in the middle of it."""

    def __init__(self, app) -> None:
        self.app = app
        self.days = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="load")
        self._thread.start()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                run_full_day(self.app, suffix=f"{self.days:04d}")
                self.days += 1
        except BaseException as exc:  # a refused command fails the test, in its thread
            self.errors.append(exc)

    def run_on(self, days: int) -> None:
        """Wait until `days` more full days were appended, then stop."""
        target = self.days + days
        wait_until(lambda: self.days >= target or self.errors, timeout_s=180, what="the load")
        self._stop.set()
        self._thread.join()
        assert self.errors == []


@pytest.fixture
def world(tmp_path, unique, healed: Cluster) -> Iterator[World]:
    w = World(tmp_path, unique, healed)
    yield w
    w.close()


def _group_holdings(bootstrap: str, group: str) -> list[int]:
    """Partitions held by each member of a consumer group (0 for a member mid-rebalance; no
    member while the cluster has no coordinator for the group yet, just after its start)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        members = admin.describe_groups([group])[group]["members"]
    except (CoordinatorNotAvailableError, NotCoordinatorError, CoordinatorLoadInProgressError):
        return []
    finally:
        admin.close()
    return [
        sum(len(t["partitions"]) for t in m["member_assignment"]["assigned_partitions"])
        if isinstance(m["member_assignment"], dict)
        else 0
        for m in members
    ]


def test_a_killed_projector_process_hands_its_partitions_to_the_other(world):
    world.start("relay")
    first = world.start("project", "all", name="project-1")
    world.start("project", "all", name="project-2")
    group = f"{world.prefix}.projector.cases"
    wait_until(
        lambda: sorted(_group_holdings(world.cluster.bootstrap, group)) == [3, 3],
        timeout_s=120,
        interval_s=1,
        what="both projector processes to hold three of the six partitions",
    )
    load = world.load()
    wait_until(lambda: world.watermark() > 0, timeout_s=120, what="the first projected batch")
    kill(first)  # SIGKILL, mid-batch or between batches
    load.run_on(2)
    wait_until(
        lambda: _group_holdings(world.cluster.bootstrap, group) == [PARTITIONS],
        timeout_s=120,
        interval_s=1,
        what="the surviving process to hold every partition",
    )
    wait_until(world.converged, timeout_s=CONVERGE_S, interval_s=2, what="the read models")
    assert differences(world.app, world.read_models) == []


def test_a_killed_broker_loses_no_event_and_keeps_each_aggregates_order(world):
    world.start("relay")
    world.start("project", "all")
    load = world.load()
    wait_until(lambda: world.watermark() > 0, timeout_s=120, what="the first projected batch")
    victim = world.cluster.kafka_leader(world.topics.events)
    world.cluster.kill(victim)  # the broker leading partition 0, with the relay sending to it
    load.run_on(2)
    wait_until(world.converged, timeout_s=CONVERGE_S, interval_s=2, what="the read models")

    events, _ = read_topic(world.cluster.bootstrap, world.topics.events)
    stored = {(str(e.originator_id), e.originator_version) for e in world.app.read_log(0, 10**6)}
    assert {(e["aggregate_id"], e["aggregate_version"]) for e in events} == stored
    assert_per_aggregate_order(events)
    # readiness's Kafka check answers from the survivors: degraded but working is ready
    assert health.check_kafka(world.cluster.bootstrap, 5.0).startswith("reachable, ")


def test_a_killed_elasticsearch_node_fails_no_search_and_the_read_models_converge(
    tmp_path, healed: Cluster
):
    token = issue_dev_token(role="admin", sub="admin-1")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CASETRACK_REDIS_URL", healed.env["CASETRACK_REDIS_URL"])  # the limiter's
        _searches_survive_a_killed_node(tmp_path, healed, token)


def _searches_survive_a_killed_node(tmp_path, healed: Cluster, token: str) -> None:
    with live_casetrack(
        tmp_path,
        kafka_bootstrap=healed.bootstrap,
        es_url=healed.es_url,
        name="es-failover",
        partitions=PARTITIONS,
    ) as live:
        run_full_day(live.app, suffix="0000")
        live.wait_caught_up(timeout_s=CONVERGE_S)
        answers: list[int] = []
        failures: list[str] = []
        stop = threading.Event()

        def search() -> None:
            client = Client()  # re-raises what a view raised: a failure too
            while not stop.is_set():
                try:
                    response = client.get(
                        "/api/v1/search",
                        {"q": "许可"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code == 200:
                    answers.append(response.json()["total"])
                else:
                    failures.append(f"{response.status_code} {response.content[:300]!r}")

        searchers = [threading.Thread(target=search, name=f"search-{i}") for i in range(2)]
        for searcher in searchers:
            searcher.start()
        try:
            wait_until(lambda: len(answers) >= 5, timeout_s=120, what="searches before the kill")
            victim = healed.es_primary(live.read_models.current_index("cases"))
            healed.kill(victim)  # the node holding the cases index's primary shard
            killed_at = len(answers)
            wait_until(
                lambda: len(answers) >= killed_at + 30 or len(failures) > 0,
                timeout_s=180,
                what="30 searches after the kill",
            )
        finally:
            stop.set()
            for searcher in searchers:
                searcher.join(timeout=60)
        assert failures == []
        # Commands go on after the searches (both at once queue the SQLite store's one writer
        # past its timeout on two saturated cores): the projectors write to the survivors.
        for i in range(1, 3):
            run_full_day(live.app, suffix=f"{i:04d}")
        live.wait_caught_up(timeout_s=CONVERGE_S)
        assert differences(live.app, live.read_models) == []

        def readiness() -> tuple[int, dict]:
            response = Client().get("/readyz", headers={"Authorization": f"Bearer {token}"})
            return response.status_code, response.json()

        # degraded but working is ready; the admin's detail says by how much
        wait_until(
            lambda: readiness()[1]["checks"]["elasticsearch"]["detail"].endswith(", 2 nodes"),
            timeout_s=60,
            what="readiness to see two Elasticsearch nodes",
        )
        status, body = readiness()
        assert status == 200 and body["status"] == "ready", body
