"""`CaseDecided` and `CaseRefused` v2 (the legal basis as {law, article}) and their upcasters:
on the store side (the mapper reads v1 events as v2) and on the bus side (the projections
read v1 envelopes already on the topic as v2), with the same mapping from text."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest
from eventsourcing.domain import Snapshot

from consumers.envelope import build_envelope
from consumers.projector import fold
from domain.legal_basis import as_text, from_text
from domain.services import Casetrack
from projections import PROJECTIONS
from projections.upcasting import SchemaTooNew, upcast
from tests.support.legacy import V2_EVENTS, envelope_as_v1, stored_as_v1
from tests.support.scenarios import run_full_day

CASES = PROJECTIONS["cases"]


@pytest.mark.parametrize(
    ("text", "law", "article"),
    [
        ("《中华人民共和国食品安全法》第三十五条", "中华人民共和国食品安全法", "第三十五条"),
        ("《食品安全法》 第三十五条第一款", "食品安全法", "第三十五条第一款"),
        ("食品安全法第三十五条", "食品安全法", "第三十五条"),
        ("食品经营许可管理办法第12条", "食品经营许可管理办法", "第12条"),
        ("《A法》第1条、《B法》第2条", "A法", "第1条、《B法》第2条"),
        ("食品安全法", "食品安全法", ""),
        ("Food Safety Law, Art. 35", "Food Safety Law, Art. 35", ""),
    ],
)
def test_plain_text_maps_to_law_and_article_and_back_without_losing_a_word(text, law, article):
    basis = from_text(text)
    assert basis == {"law": law, "article": article}
    assert from_text(as_text(basis)) == basis
    assert as_text(basis).replace("《", "").replace("》", "").replace(" ", "") == text.replace(
        "《", ""
    ).replace("》", "").replace(" ", "")


def test_empty_text_is_no_legal_basis():
    assert from_text("") is None and from_text("  ") is None and as_text(None) == ""


@pytest.fixture(scope="module")
def world():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    made = run_full_day(app)
    yield app, made
    app.close()


def _envelope(mapper, stored) -> dict:
    """As the relay builds it, through JSON as through Kafka."""
    envelope = build_envelope(
        mapper,
        position=stored.position,
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
        prev_hash=stored.prev_hash,
        hash_=stored.hash,
    )
    return orjson.loads(orjson.dumps(envelope))


def _case_envelopes(app) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for stored in app.read_log(0, limit=100_000):
        envelope = _envelope(app.mapper, stored)
        if envelope["aggregate_type"] == "Case":
            found.setdefault(envelope["aggregate_id"], []).append(envelope)
    return found


def test_the_store_reads_a_v1_decision_and_refusal_as_v2_and_the_relay_publishes_v2(world):
    app, made = world
    old = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        log = list(app.read_log(0, limit=100_000))
        old.recorder.insert_events([stored_as_v1(app.mapper, e) for e in log])
        assert any(
            b'"legal_basis":"' in e.state for e in old.read_log(0, limit=100_000)
        )  # text, as v1 stored
        for case_id in made.cases:
            then, now = old.repository.get(UUID(case_id)), app.repository.get(UUID(case_id))
            if now.status == "refused":  # v1 refusals cited none
                now.decision["legal_basis"] = None
            assert then.decision == now.decision and then.status == now.status
        by_status = {app.repository.get(UUID(c)).status: c for c in made.cases}
        rejected = old.repository.get(UUID(by_status["rejected"]))
        assert rejected.decision["legal_basis"] == {
            "law": "食品经营许可管理办法",
            "article": "第十二条",
        }

        published = [_envelope(old.mapper, e) for e in old.read_log(0, limit=100_000)]
        decided = [e for e in published if e["event_type"] in ("CaseDecided", "CaseRefused")]
        assert decided and {e["schema_version"] for e in decided} == {3}
        assert all(
            e["data"]["legal_basis"] is None or set(e["data"]["legal_basis"]) == {"law", "article"}
            for e in decided
        )
        assert old.verify().ok  # the hash covers the stored (v1) bytes
    finally:
        old.close()


def test_a_projection_reads_v1_envelopes_on_the_bus_as_v2_and_builds_the_same_documents(world):
    app, made = world
    v1_seen = 0
    for envelopes in _case_envelopes(app).values():
        old = [envelope_as_v1(e) for e in envelopes]
        v1_seen += sum(e["schema_version"] == 2 and e["event_type"] in V2_EVENTS for e in old)
        now_doc, _, _, dead_now = fold(CASES, None, envelopes)
        then_doc, _, _, dead_then = fold(CASES, None, old)
        assert dead_now == dead_then == []
        if now_doc["status"] == "refused":  # v1 refusals cited none
            assert then_doc["decision"]["legal_basis"] is None
            now_doc["decision"]["legal_basis"] = None
        assert then_doc == now_doc
    assert v1_seen >= 3  # the approvals, the rejection and the refusal
    docs = {
        d["status"]: d for d in (fold(CASES, None, es)[0] for es in _case_envelopes(app).values())
    }
    assert docs["rejected"]["decision"]["legal_basis"] == {
        "law": "食品经营许可管理办法",
        "article": "第十二条",
    }
    assert docs["refused"]["decision"]["legal_basis"] == {
        "law": "中华人民共和国行政许可法",
        "article": "第三十二条",
    }


def test_an_envelope_at_the_current_schema_is_not_copied_and_one_too_new_is_dead_lettered(world):
    app, _ = world
    envelopes = next(
        es for es in _case_envelopes(app).values() if es[-1]["event_type"] == "CaseDecided"
    )
    decided = next(e for e in envelopes if e["event_type"] == "CaseDecided")
    assert upcast(decided) is decided
    old = envelope_as_v1(decided)
    assert (
        upcast(old)["data"] == decided["data"]
        and old["data"]["legal_basis"] != (decided["data"]["legal_basis"])
    )
    future = {**decided, "schema_version": 4}
    with pytest.raises(SchemaTooNew):
        upcast(future)
    document, _, _, dead = fold(CASES, None, [future if e is decided else e for e in envelopes])
    assert [d.envelope["event_type"] for d in dead] == ["CaseDecided"]
    assert "newer than this projector knows" in dead[0].message and document["degraded"]


def test_a_case_snapshot_taken_before_v2_reads_its_decisions_legal_basis_as_law_and_article():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://"})  # snapshots on
    made = run_full_day(app)
    case_id = UUID(made.cases[3])  # the rejection
    snapshot = Snapshot.take(app.repository.get(case_id))
    aggregate = snapshot.state  # the aggregate's attributes, as the snapshot holds them
    assert aggregate.pop("class_version") == 2
    basis = aggregate["decision"]["legal_basis"]
    assert basis == {"law": "食品经营许可管理办法", "article": "第十二条"}
    aggregate["decision"] = {**aggregate["decision"], "legal_basis": as_text(basis)}  # v1 held text
    old = app.mapper.to_stored_event(snapshot)
    app.snapshots.recorder.insert_events([old])  # the one the repository now starts from
    try:
        assert app.repository.get(case_id).decision["legal_basis"] == basis
    finally:
        app.close()
