"""Elasticsearch's 409 (version conflict) in a bulk answer means "already applied"
(docs/design.md, guarantee 3), on the real Elasticsearch and Kafka.

Writes are external-versioned by the aggregate version, so Elasticsearch itself refuses a
write that is not newer than the document it holds: a redelivery after a crash (the same
version) or a slower projector (an older one). The projector must count those as done: keep
the document Elasticsearch holds, carry on with the rest of the bulk, advance its checkpoints
and commit its offsets, and dead-letter nothing.
"""

from __future__ import annotations

import threading

import pytest
from kafka import KafkaConsumer
from kafka.partitioner.default import murmur2
from kafka.structs import TopicPartition

from consumers import kafka_admin
from consumers.dead_letters import count_dead_letters
from consumers.projector import fold
from consumers.rebuild import caught_up
from consumers.topics import Topics
from domain.services import Casetrack
from projections import PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels, Write
from tests.support.bus import envelopes_of, publish
from tests.support.projectors import projector_factory
from tests.support.scenarios import ADMIN, CITIZEN, CLERK, MATERIALS, PERSON, item_terms

pytestmark = pytest.mark.integration

PARTITIONS = 2
CASES = PROJECTIONS["cases"]


@pytest.fixture
def read_models(es_url, unique) -> ReadModels:
    models = ReadModels(make_client(es_url, timeout_s=30), Names(f"test-conflict-{unique}"))
    models.ensure("cases")
    models.ensure_checkpoints()
    return models


def test_a_bulk_with_stale_and_equal_versions_writes_the_rest_and_counts_them_applied(
    read_models,
):
    index = read_models.ensure("cases")
    read_models.write(index, [Write("a", 3, {"title": "a3"}), Write("b", 2, {"title": "b2"})])
    result = read_models.write(
        index,
        [
            Write("a", 2, {"title": "a2"}),  # older than what is stored
            Write("b", 2, {"title": "b2 again"}),  # the same version, delivered twice
            Write("c", 1, {"title": "c1"}),
            Write("a", 4, {"title": "a4"}),
        ],
    )
    assert (result.written, result.already_applied, result.failures) == (2, 2, [])
    stored = read_models.get_many(index, ["a", "b", "c"])
    assert {k: v["title"] for k, v in stored.items()} == {"a": "a4", "b": "b2", "c": "c1"}


def test_the_projector_takes_a_409_as_applied_and_moves_on(read_models, kafka_bootstrap, unique):
    topics = Topics(read_models.names.prefix)
    kafka_admin.ensure_topic(
        kafka_bootstrap, topics.events, partitions=PARTITIONS, config={"retention.ms": "-1"}
    )
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        app.publish_item(code="510100-XK-CONF01", actor=ADMIN, **item_terms())
        ids = []
        for _ in range(3):
            case = app.submit_case(
                item_code="510100-XK-CONF01",
                applicant=PERSON,
                channel="web",
                materials=MATERIALS,
                actor=CITIZEN,
            )["case_id"]
            app.accept_case(case_id=case, actor=CLERK)
            ids.append(case)
        envelopes = envelopes_of(app)
        publish(kafka_bootstrap, topics.events, envelopes)
        head = app.max_position()
    finally:
        app.close()

    # Another writer got there first: `same` at the version this stream ends at (a redelivery
    # after a crash), `newer` at a later one (a projector ahead of this one).
    same, newer, fresh = ids
    index = read_models.ensure("cases")
    mine = {
        case: fold(CASES, None, [e for e in envelopes if e["aggregate_id"] == case])[0]
        for case in ids
    }
    assert {d["aggregate_version"] for d in mine.values()} == {2}
    read_models.write(
        index,
        [
            Write(same, 2, {**mine[same], "title": "written first"}),
            Write(newer, 7, {**mine[newer], "title": "written later", "aggregate_version": 7}),
        ],
    )

    make = projector_factory(
        read_models=read_models,
        bootstrap=kafka_bootstrap,
        topics=topics,
        prefix=read_models.names.prefix,
        partitions=PARTITIONS,
    )
    projector = make("cases")
    projector.run(threading.Event(), until=caught_up)

    assert projector.stats.dead_letters == 0
    documents = read_models.get_many(index, ids)
    assert documents[same]["title"] == "written first"  # kept: Elasticsearch said 409
    assert (documents[newer]["title"], documents[newer]["aggregate_version"]) == (
        "written later",
        7,
    )
    assert documents[fresh] == mine[fresh]  # the rest of the bulk was written
    # Done, not retried: each partition's checkpoint is its last position, offsets committed.
    last: dict[int, int] = {}
    for envelope in envelopes:
        p = (murmur2(envelope["aggregate_id"].encode()) & 0x7FFFFFFF) % PARTITIONS  # the relay's
        last[p] = max(last.get(p, 0), envelope["position"])
    assert max(last.values()) == head
    assert read_models.checkpoints("cases", PARTITIONS) == {
        p: last.get(p, 0) for p in range(PARTITIONS)
    }
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=projector.group_id)
    try:
        partitions = [TopicPartition(topics.events, p) for p in range(PARTITIONS)]
        ends = consumer.end_offsets(partitions)
        assert {tp: consumer.committed(tp) or 0 for tp in partitions} == ends  # 0: nothing there
    finally:
        consumer.close()
    assert count_dead_letters(kafka_bootstrap, topics.dead_letters) == 0
