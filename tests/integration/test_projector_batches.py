"""Small batches and small fetches do not change what a projector writes (docs/design.md,
"Kafka contract": the projectors' fetch limits).

Every case's events are interleaved with the others', so with a few records a poll each case
is folded over several batches that are not consecutive: its document is read back (realtime
mget) while the batch before is still being written. The documents must be those of one fold
of the whole log, with nothing dead-lettered and every event counted.
"""

from __future__ import annotations

import threading

import pytest

from consumers import kafka_admin
from consumers.projector import fold
from consumers.rebuild import caught_up
from consumers.topics import Topics
from domain.services import Casetrack
from projections import PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.bus import envelopes_of, publish
from tests.support.projectors import projector_factory
from tests.support.scenarios import ADMIN, CITIZEN, CLERK, MATERIALS, PERSON, item_terms

pytestmark = pytest.mark.integration

PARTITIONS = 2
CASES = PROJECTIONS["cases"]


def test_cases_folded_over_many_small_batches_equal_one_fold_of_the_log(
    es_url, kafka_bootstrap, unique
):
    read_models = ReadModels(make_client(es_url, timeout_s=30), Names(f"test-batches-{unique}"))
    topics = Topics(read_models.names.prefix)
    kafka_admin.ensure_topic(
        kafka_bootstrap, topics.events, partitions=PARTITIONS, config={"retention.ms": "-1"}
    )
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        app.publish_item(code="510100-XK-BATCH1", actor=ADMIN, **item_terms())
        ids = [
            app.submit_case(
                item_code="510100-XK-BATCH1",
                applicant=PERSON,
                channel="web",
                materials=MATERIALS,
                actor=CITIZEN,
            )["case_id"]
            for _ in range(8)
        ]
        for case in ids:
            app.accept_case(case_id=case, actor=CLERK)
        for case in ids:
            app.assign_case(case_id=case, clerk_sub="clerk-7", actor=CLERK)
        envelopes = envelopes_of(app)
        publish(kafka_bootstrap, topics.events, envelopes)
    finally:
        app.close()

    make = projector_factory(
        read_models=read_models,
        bootstrap=kafka_bootstrap,
        topics=topics,
        prefix=read_models.names.prefix,
        partitions=PARTITIONS,
    )
    projector = make(
        "cases",
        max_poll_records=3,
        fetch_max_bytes=4096,
        max_partition_fetch_bytes=1024,
        finish_interval_s=0.0,
    )
    projector.run(threading.Event(), until=caught_up)

    assert (projector.stats.events, projector.stats.dead_letters) == (len(envelopes), 0)
    assert projector.stats.batches > len(ids)  # the cases were folded over many batches
    expected = {
        case: fold(CASES, None, [e for e in envelopes if e["aggregate_id"] == case])[0]
        for case in ids
    }
    assert {d["aggregate_version"] for d in expected.values()} == {3}
    assert read_models.get_many(read_models.names.alias("cases"), ids) == expected
