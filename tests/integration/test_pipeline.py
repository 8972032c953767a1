"""The read side under faults: guarantees 2-6 of docs/design.md against real Kafka, Elasticsearch
and processes of ours that are killed for real."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from uuid import UUID

import pytest
from kafka import KafkaAdminClient

from consumers.dead_letters import list_dead_letters, replay
from consumers.rebuild import rebuild
from consumers.topics import Topics
from domain.services import Casetrack
from domain.store.access_log import append_access
from projections import EVENT_PROJECTIONS, PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support import stack
from tests.support.poison import Case as PoisonCase
from tests.support.processes import kill, manage
from tests.support.projectors import projector_factory
from tests.support.readmodels import differences
from tests.support.scenarios import CLERK, run_full_day
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration
PARTITIONS = 4


class World:
    """One isolated pipeline: its own store file, topic prefix and index prefix."""

    def __init__(self, tmp_path, unique, kafka_bootstrap, es_url):
        self.prefix = f"test-{unique}"
        self.url = f"sqlite:///{tmp_path / 'events.db'}"
        self.env = {
            "CASETRACK_EVENT_STORE": self.url,
            "CASETRACK_TOPIC_PREFIX": self.prefix,
            "CASETRACK_INDEX_PREFIX": self.prefix,
            "CASETRACK_PARTITIONS": str(PARTITIONS),
            "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CASETRACK_ES_URL": es_url,
            "CASETRACK_SNAPSHOT_INTERVAL": "0",
        }
        self.app = Casetrack(env=self.env)
        self.read_models = ReadModels(make_client(es_url, timeout_s=30), Names(self.prefix))
        self.read_models.ensure_all()
        self.topics = Topics(self.prefix)
        self.bootstrap = kafka_bootstrap
        self.logs = tmp_path
        self.processes = []

    def start(self, *args: str):
        process = manage(*args, env=self.env, log=self.logs / f"{args[0]}.log")
        self.processes.append(process)
        return process

    def watermark(self) -> int:
        return min(self.read_models.watermark(name, PARTITIONS) for name in EVENT_PROJECTIONS)

    def caught_up(self) -> bool:
        try:
            return self.watermark() >= self.app.max_position()
        except Exception:  # Elasticsearch may still be starting after a fault
            return False

    def converged(self) -> bool:
        return self.caught_up() and not differences(self.app, self.read_models)

    def close(self):
        for process in self.processes:
            kill(process)
        client = self.read_models.client
        for index in client.indices.get(index=f"{self.prefix}-*", expand_wildcards="all"):
            client.indices.delete(index=index)
        self.app.close()


@pytest.fixture
def world(tmp_path, unique, kafka_bootstrap, es_url):
    w = World(tmp_path, unique, kafka_bootstrap, es_url)
    yield w
    w.close()


def _load(app, rounds: int, *, pause_s: float = 0.0, start: int = 0) -> threading.Thread:
    def work():
        for i in range(start, start + rounds):
            run_full_day(app, suffix=f"{i:04d}")
            time.sleep(pause_s)  # spreads the load over the fault window; not a wait for a result

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.slow
@pytest.mark.skipif(
    not stack.is_local("elasticsearch"), reason="stops a server only on the local stack"
)
def test_a_killed_projector_and_a_stopped_elasticsearch_still_converge_to_the_event_store(world):
    world.start("relay")
    projector = world.start("project", "all")
    load = _load(world.app, 24, pause_s=0.5)
    wait_until(lambda: world.watermark() > 0, timeout_s=60, what="the first projected batch")
    kill(projector)  # SIGKILL, mid-batch or between batches
    projector = world.start("project", "all")
    stack.stop("elasticsearch")
    try:
        time.sleep(30)  # the outage itself lasts 30 s
        assert load.is_alive() or world.app.max_position() > 0, (
            "commands are accepted during the outage"
        )
    finally:
        stack.start("elasticsearch")
    load.join()
    wait_until(
        world.converged,
        timeout_s=240,
        interval_s=2,
        what="the read models to equal the event store",
    )
    assert differences(world.app, world.read_models) == []


@pytest.mark.slow
@pytest.mark.skipif(not stack.is_local("kafka"), reason="stops a server only on the local stack")
def test_commands_are_accepted_while_kafka_is_down_and_the_pipeline_catches_up(world):
    world.start("relay")
    world.start("project", "all")
    run_full_day(world.app, suffix="0000")
    wait_until(world.caught_up, timeout_s=60, what="the first day to be projected")
    stack.stop("kafka")
    try:
        before = world.app.max_position()
        run_full_day(world.app, suffix="0001")  # the event store is enough to accept commands
        assert world.app.max_position() > before
    finally:
        stack.start("kafka")
    wait_until(
        world.converged, timeout_s=180, interval_s=2, what="relay and projectors to catch up"
    )


def test_a_poison_event_is_dead_lettered_its_document_degraded_and_the_rest_applied(world):
    made = run_full_day(world.app, suffix="0000")
    case = world.app.repository.get(UUID(made.cases[2]))
    case.trigger_event(PoisonCase.Teleported, destination="月球", actor=CLERK)
    world.app.save(case)
    run_full_day(world.app, suffix="0001")
    world.start("relay")
    world.start("project", "all")
    wait_until(world.caught_up, timeout_s=90, what="everything, poison included, to be handled")

    letters = list_dead_letters(world.bootstrap, world.topics.dead_letters)
    assert [(d["aggregate_id"], d["event_type"]) for d in letters] == [(str(case.id), "Teleported")]
    assert (
        letters[0]["error"]["projection"] == "cases"
        and "no handler" in letters[0]["error"]["message"]
    )
    degraded = world.read_models.get_many(world.read_models.names.alias("cases"), [str(case.id)])[
        str(case.id)
    ]
    assert degraded["degraded"] is True and degraded["aggregate_version"] == case.version
    assert differences(world.app, world.read_models) == [], "every other document is exact"

    fixed = replace(
        PROJECTIONS["cases"],
        handlers={**PROJECTIONS["cases"].handlers, "Teleported": lambda d, e: d},
    )
    result = replay(
        world.app, world.read_models, case.id, projections={**PROJECTIONS, "cases": fixed}
    )
    healthy = world.read_models.get_many(world.read_models.names.alias("cases"), [str(case.id)])[
        str(case.id)
    ]
    assert (result.degraded, healthy["degraded"], healthy["aggregate_version"]) == (
        False,
        False,
        case.version,
    )


def test_two_projector_processes_share_the_partitions_and_index_every_case_once(world):
    world.start("relay")
    first = world.start("project", "cases")
    second = world.start("project", "cases")
    for i in range(6):
        run_full_day(world.app, suffix=f"{i:04d}")

    def both_members_hold_partitions() -> bool:
        admin = KafkaAdminClient(bootstrap_servers=world.bootstrap)
        try:
            group = admin.describe_groups([f"{world.prefix}.projector.cases"])[
                f"{world.prefix}.projector.cases"
            ]
            # mid-rebalance a member's assignment is still empty bytes, not a decoded dict
            held = [
                sum(len(t["partitions"]) for t in m["member_assignment"]["assigned_partitions"])
                if isinstance(m["member_assignment"], dict)
                else 0
                for m in group["members"]
            ]
            return len(held) == 2 and all(held)
        finally:
            admin.close()

    wait_until(
        both_members_hold_partitions, timeout_s=60, what="both projectors to hold partitions"
    )
    wait_until(
        lambda: world.read_models.watermark("cases", PARTITIONS) >= world.app.max_position(),
        timeout_s=90,
        what="the cases projection to catch up",
    )
    alias = world.read_models.names.alias("cases")
    world.read_models.refresh(alias)
    hits = world.read_models.client.search(index=alias, size=1000)["hits"]["hits"]
    assert len(hits) == len({h["_id"] for h in hits}) == 30
    for hit in hits:
        assert (
            hit["_source"]["aggregate_version"]
            == world.app.repository.get(UUID(hit["_id"])).version
        )
    assert first.poll() is None and second.poll() is None


def test_a_rebuild_under_query_load_swaps_the_alias_without_a_failed_query(world):
    world.start("relay")
    world.start("project", "all")
    for i in range(4):
        run_full_day(world.app, suffix=f"{i:04d}")
    wait_until(world.caught_up, timeout_s=90, what="the read models to catch up")
    alias = world.read_models.names.alias("cases")
    old_index = world.read_models.current_index("cases")
    failures, answers, stop_queries = [], [], threading.Event()

    def query_load():
        client = make_client(world.env["CASETRACK_ES_URL"])
        while not stop_queries.is_set():
            try:
                answers.append(
                    client.search(index=alias, query={"match": {"title": "许可"}})["hits"]["total"][
                        "value"
                    ]
                )
            except Exception as exc:  # any failed query is what this test exists to catch
                failures.append(exc)

    readers = [threading.Thread(target=query_load) for _ in range(2)]
    for reader in readers:
        reader.start()

    make = projector_factory(
        read_models=world.read_models,
        bootstrap=world.bootstrap,
        topics=world.topics,
        prefix=world.prefix,
        partitions=PARTITIONS,
    )

    try:
        result = rebuild(
            make_projector=make, name="cases", stop=threading.Event(), progress=lambda line: None
        )
        run_full_day(world.app, suffix="0099")  # the live projector now writes to the new index
        wait_until(
            world.converged, timeout_s=90, interval_s=1, what="the rebuilt index to be exact"
        )
    finally:
        stop_queries.set()
        for reader in readers:
            reader.join()
    assert failures == []
    assert len(answers) > 10 and min(answers) > 0
    assert (
        result.old_index == old_index
        and world.read_models.current_index("cases") == result.new_index
    )
    assert world.read_models.client.indices.exists(index=old_index), (
        "the old index is kept until dropped"
    )


def test_replay_from_a_position_restores_documents_a_read_model_lost(world):
    world.start("relay")
    projectors = world.start("project", "all")
    run_full_day(world.app, suffix="0000")
    after_first_day = world.app.max_position()
    second = run_full_day(world.app, suffix="0001")
    wait_until(world.converged, timeout_s=90, what="both days to be projected")
    kill(projectors)
    alias = world.read_models.names.alias("cases")
    # A lost document, as after restoring an older snapshot: no delete tombstone remembers
    # its version (Elasticsearch keeps one for 60 s by default, refusing older re-writes).
    world.read_models.client.indices.put_settings(index=alias, settings={"index.gc_deletes": "0s"})
    for case_id in second.cases:
        world.read_models.client.delete(index=alias, id=case_id, refresh=True)
    assert differences(world.app, world.read_models) == ["cases: 5 missing, 0 extra, 0 different"]

    rewound = manage(
        "replay",
        "all",
        "--from-position",
        str(after_first_day),
        env=world.env,
        log=world.logs / "replay.log",
    )
    assert rewound.wait(timeout=120) == 0, (world.logs / "replay.log").read_text()
    world.start("project", "all")
    wait_until(world.converged, timeout_s=90, what="the lost documents to be rebuilt")


def test_access_log_entries_reach_their_own_index_and_never_a_case_stream(world):
    made = run_full_day(world.app, suffix="0000")
    versions = {c: world.app.repository.get(UUID(c)).version for c in made.cases}
    positions = [
        append_access(
            world.app.store,
            role="clerk",
            sub="clerk-7",
            endpoint="GET /api/v1/cases/{case_id}",
            record_ids=[c],
            party_ids=["510104199005010123"],
            department="market-regulation",
            region_code="510100",
        )
        for c in made.cases
    ]
    world.start("relay")
    world.start("project", "access")
    wait_until(
        lambda: world.read_models.watermark("access", PARTITIONS) >= positions[-1],
        timeout_s=90,
        what="the access log to be projected",
    )
    alias = world.read_models.names.alias("access")
    world.read_models.refresh(alias)
    hits = world.read_models.client.search(index=alias, size=100)["hits"]["hits"]
    assert sorted(h["_source"]["record_ids"][0] for h in hits) == sorted(made.cases)
    assert all(h["_source"]["sub"] == "clerk-7" for h in hits)
    assert {c: world.app.repository.get(UUID(c)).version for c in made.cases} == versions


@pytest.mark.slow
def test_with_the_confluent_driver_a_killed_relay_and_projector_still_converge(world):
    world.env["CASETRACK_KAFKA_DRIVER"] = "confluent"
    relay = world.start("relay")
    projector = world.start("project", "all")
    load = _load(world.app, 8, pause_s=0.3)
    wait_until(lambda: world.watermark() > 0, timeout_s=60, what="the first projected batch")
    kill(relay)
    kill(projector)
    world.start("relay")
    world.start("project", "all")
    load.join()
    wait_until(
        world.converged,
        timeout_s=180,
        interval_s=2,
        what="the read models to equal the event store",
    )
