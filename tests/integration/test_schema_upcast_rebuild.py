"""A rebuild from offset 0 across a schema change (docs/design.md, "Schema evolution").

The topic holds decisions and refusals as the relay published them before `CaseDecided` and
`CaseRefused` v3 (v2: the legal basis as text, or none), then newer ones at v3. A rebuild of the
cases read model from offset 0 on real Kafka and Elasticsearch reads both alike: every document
carries the legal basis as {law, article}, none is degraded, nothing is dead-lettered.
"""

from __future__ import annotations

import threading

import pytest

from consumers import kafka_admin
from consumers.dead_letters import count_dead_letters
from consumers.projector import fold
from consumers.rebuild import rebuild
from consumers.topics import Topics
from domain.services import Casetrack
from projections import PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.bus import envelopes_of, publish
from tests.support.legacy import V2_EVENTS, envelope_as_v1
from tests.support.projectors import projector_factory
from tests.support.scenarios import run_full_day

pytestmark = pytest.mark.integration

PARTITIONS = 2
CASES = PROJECTIONS["cases"]


def test_a_rebuild_from_offset_0_reads_v1_and_v2_decisions_alike(kafka_bootstrap, es_url, unique):
    prefix = f"test-upcast-{unique}"
    topics = Topics(prefix)
    kafka_admin.ensure_topic(
        kafka_bootstrap, topics.events, partitions=PARTITIONS, config={"retention.ms": "-1"}
    )
    read_models = ReadModels(make_client(es_url, timeout_s=30), Names(prefix))
    read_models.ensure_all()
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        # Published before the change: decisions and refusals at v1, the legal basis as text.
        before = run_full_day(app, suffix="0001")
        changed_at = app.max_position()
        old = [envelope_as_v1(e) for e in envelopes_of(app, 0)]
        assert sum(e["schema_version"] == 2 and e["event_type"] in V2_EVENTS for e in old) >= 4
        publish(kafka_bootstrap, topics.events, old)
        # After the change: the same kinds of events at v2.
        after = run_full_day(app, suffix="0002")
        new = envelopes_of(app, changed_at)
        assert {e["schema_version"] for e in new if e["event_type"] == "CaseDecided"} == {3}
        publish(kafka_bootstrap, topics.events, new)

        make = projector_factory(
            read_models=read_models,
            bootstrap=kafka_bootstrap,
            topics=topics,
            prefix=prefix,
            partitions=PARTITIONS,
        )

        result = rebuild(
            make_projector=make, name="cases", stop=threading.Event(), progress=lambda line: None
        )
        assert result.events == len(old) + len(new)

        documents = read_models.get_many(result.new_index, before.cases + after.cases)
        assert len(documents) == len(before.cases) + len(after.cases)
        by_case: dict[str, list[dict]] = {}
        for envelope in envelopes_of(app, 0):
            if envelope["aggregate_type"] == "Case":
                by_case.setdefault(envelope["aggregate_id"], []).append(envelope)
        cited = 0
        for case_id, document in documents.items():
            expected = fold(CASES, None, by_case[case_id])[0]
            assert not document["degraded"], case_id
            assert (document["status"], document["aggregate_version"]) == (
                expected["status"],
                expected["aggregate_version"],
            )
            decision, wanted = document["decision"], expected["decision"]
            if wanted is None:
                assert decision is None
                continue
            if case_id in before.cases and document["status"] == "refused":
                assert decision["legal_basis"] is None  # v1 refusals cited none
                continue
            assert decision == wanted
            if wanted["legal_basis"] is not None:
                assert set(decision["legal_basis"]) == {"law", "article"}
                cited += 1
        assert cited >= 4  # old and new rejections and approvals citing a law
        rejected = next(
            d for c, d in documents.items() if c in before.cases and d["status"] == "rejected"
        )
        assert rejected["decision"]["legal_basis"] == {
            "law": "食品经营许可管理办法",
            "article": "第十二条",
        }
        assert count_dead_letters(kafka_bootstrap, topics.dead_letters) == 0
    finally:
        app.close()
