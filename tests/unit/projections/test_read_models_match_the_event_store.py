"""Folding each aggregate's envelopes through its projection gives the aggregate's state.

The envelopes are built exactly as the relay builds them and go through JSON, as they do
through Kafka; no server is involved.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import orjson
import pytest

from consumers.envelope import build_envelope
from consumers.projector import fold
from domain.services import Casetrack
from projections import PROJECTIONS
from search.queries import TITLE_COPIES
from tests.support.scenarios import PERSON, run_full_day


@pytest.fixture(scope="module")
def world():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    made = run_full_day(app)
    envelopes = [
        orjson.loads(
            orjson.dumps(
                build_envelope(
                    app.mapper,
                    position=e.position,
                    originator_id=e.originator_id,
                    originator_version=e.originator_version,
                    topic=e.topic,
                    state=e.state,
                    prev_hash=e.prev_hash,
                    hash_=e.hash,
                )
            )
        )
        for e in app.read_log(0, 10_000)
    ]
    yield app, made, envelopes
    app.close()


def _documents(projection_name: str, envelopes: list[dict]) -> dict[str, dict]:
    projection = PROJECTIONS[projection_name]
    streams: dict[str, list[dict]] = {}
    for e in envelopes:
        if projection.handles(e):
            streams.setdefault(e["aggregate_id"], []).append(e)
    documents = {}
    for aggregate_id, stream in streams.items():
        document, applied, duplicates, dead = fold(projection, None, stream)
        assert dead == [], dead
        assert applied == len(stream) and duplicates == 0
        documents[aggregate_id] = document
    return documents


def test_every_event_type_of_the_scenario_has_a_handler(world):
    _, _, envelopes = world
    handled = {t for p in PROJECTIONS.values() for t in p.handlers}
    assert {e["event_type"] for e in envelopes} <= handled


def test_case_documents_match_the_cases_in_the_event_store(world):
    app, made, envelopes = world
    documents = _documents("cases", envelopes)
    assert set(documents) == set(made.cases)
    for case_id, doc in documents.items():
        case = app.repository.get(UUID(case_id))
        assert doc["aggregate_version"] == case.version
        assert doc["status"] == case.status
        assert doc["case_number"] == case.case_number
        ring = app.keyring
        assert doc["party_ids"] == [ring.party_ref(case.applicant["party_id"])]
        assert doc["name_refs"] == [ring.name_ref(case.applicant["name"])]
        # Personal values are copied sealed; opened under the case's id they are the case's.
        assert case.applicant["name"] not in orjson.dumps(doc).decode()
        assert ring.open_tree(doc["applicant"], case_id) == {
            **case.applicant,
            "party_ref": doc["party_ids"][0],
            "name_ref": doc["name_refs"][0],
        }
        assert doc["department"] == case.department and doc["region_code"] == case.region_code
        assert doc["statutory_due"] == (
            case.statutory_due.isoformat() if case.statutory_due else None
        )
        assert doc["promised_due"] == (case.promised_due.isoformat() if case.promised_due else None)
        assert doc["extended_days"] == case.extended_days
        assert doc["assigned_to"] == case.assigned_to
        assert doc["licence_number"] == case.licence_number
        assert ring.open_tree(doc["rating"], case_id) == case.rating
        assert [p["payment_id"] for p in doc["payments"]] == [
            p["payment_id"] for p in case.payments
        ]
        assert [s["step"] for s in doc["timeline"]] == [s["step"] for s in case.timeline]


def test_payment_documents_match_the_payments_in_the_event_store(world):
    app, made, envelopes = world
    documents = _documents("payments", envelopes)
    assert set(made.payments) <= set(documents)
    for payment_id, doc in documents.items():
        payment = app.repository.get(UUID(payment_id))
        assert (doc["status"], doc["amount_fen"], doc["paid_fen"], doc["refunded_fen"]) == (
            payment.status,
            payment.amount_fen,
            payment.paid_fen,
            payment.refunded_fen,
        )
        assert doc["aggregate_version"] == payment.version
        assert doc["party_ids"] == [app.keyring.party_ref(payment.payer_party_id)]
        assert app.keyring.open(doc["payer_name"], payment_id) == payment.payer_name


def test_licence_item_and_violation_documents_match_the_event_store(world):
    app, made, envelopes = world
    licences = _documents("licences", envelopes)
    assert sorted(d["licence_number"] for d in licences.values()) == sorted(made.licences)
    for licence_id, doc in licences.items():
        licence = app.repository.get(UUID(licence_id))
        assert (doc["status"], doc["valid_until"]) == (
            licence.status,
            licence.valid_until.isoformat() if licence.valid_until else None,
        )
    items = _documents("catalog", envelopes)
    assert sorted(d["code"] for d in items.values()) == sorted(made.items)
    for item_id, doc in items.items():
        item = app.repository.get(UUID(item_id))
        assert (doc["status"], doc["revision"], doc["name"]) == (
            item.status,
            item.revision,
            item.terms["name"],
        )
    violations = _documents("violations", envelopes)
    assert set(violations) == set(made.violations)
    for violation_id, doc in violations.items():
        violation = app.repository.get(UUID(violation_id))
        assert (doc["status"], doc["outcome"]) == (violation.status, violation.outcome)
        assert doc["party_ids"] == [app.keyring.party_ref(violation.party_id)]
        assert app.keyring.open(doc["party"]["name"], violation_id) == violation.party["name"]


def test_a_duplicate_delivery_changes_nothing_and_an_unknown_event_is_a_dead_letter(world):
    _, made, envelopes = world
    projection = PROJECTIONS["cases"]
    stream = [e for e in envelopes if e["aggregate_id"] == made.cases[0]]
    once, *_ = fold(projection, None, stream)
    twice, applied, duplicates, dead = fold(projection, once, stream)
    assert twice is once and applied == 0 and duplicates == len(stream) and dead == []

    poison = {**stream[1], "event_type": "CaseTeleported"}
    document, applied, _, dead = fold(projection, None, [stream[0], poison, *stream[2:]])
    assert [d.envelope["aggregate_version"] for d in dead] == [2]
    assert "no handler for CaseTeleported" in dead[0].message
    assert document["degraded"] is True
    assert document["aggregate_version"] == stream[-1]["aggregate_version"]


def test_every_documents_type_is_the_one_its_projection_declares(world):
    _, _, envelopes = world
    for name, projection in PROJECTIONS.items():
        for document in _documents(name, envelopes).values():
            assert document["type"] == projection.document_type


def test_a_handler_failing_half_way_leaves_no_trace_and_the_input_is_not_changed(world):
    _, made, envelopes = world
    cases = PROJECTIONS["cases"]
    stream = [e for e in envelopes if e["aggregate_id"] == made.cases[0]]
    first, *_ = fold(cases, None, stream[:2])
    snapshot = orjson.dumps(first)

    def half_way(document, envelope):
        document["status"] = "scribbled"
        document["timeline"].append({"step": "scribbled"})
        raise ValueError("half way")

    broken = replace(cases, handlers={**cases.handlers, stream[2]["event_type"]: half_way})
    document, applied, _, dead = fold(broken, first, stream[2:4])
    assert orjson.dumps(first) == snapshot  # the input document is untouched
    assert [d.envelope["aggregate_version"] for d in dead] == [3]
    assert document["status"] != "scribbled" and {"step": "scribbled"} not in document["timeline"]
    assert applied == 1 and document["aggregate_version"] == 4 and document["degraded"] is True


def _envelopes(app, after: int = 0) -> list[dict]:
    return [
        orjson.loads(
            orjson.dumps(
                build_envelope(
                    app.sealed_mapper,
                    position=e.position,
                    originator_id=e.originator_id,
                    originator_version=e.originator_version,
                    topic=e.topic,
                    state=e.state,
                    prev_hash=e.prev_hash,
                    hash_=e.hash,
                )
            )
        )
        for e in app.read_log(after, 10_000)
    ]


def test_an_erasure_reaches_the_documents_of_every_record_that_held_the_persons_data():
    app = Casetrack(env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "0"})
    try:
        made = run_full_day(app)
        app.erase_party(
            party_id=PERSON["party_id"],
            legal_basis="《中华人民共和国个人信息保护法》第四十七条",
            reason="本人申请删除",
            actor={"role": "admin", "subject": "admin-1"},
        )
        envelopes = _envelopes(app)
        erasures = [e for e in envelopes if e["event_type"] == "PersonalDataErased"]
        assert {e["aggregate_type"] for e in erasures} <= {"Case", "Payment", "Licence"}
        case = _documents("cases", envelopes)[made.cases[0]]
        assert case["party_ids"] == [] and case["applicant"]["name"] == "[erased]"
        assert case["aggregate_version"] == app.repository.get(UUID(made.cases[0])).version
    finally:
        app.close()


def test_every_name_search_matches_is_in_the_title_of_its_document(world):
    # Search matches names as `title` only (search.queries.TITLE_COPIES): a document whose
    # name differed from its title would be found by neither its name nor a part of it.
    _, _, envelopes = world
    for model, field in TITLE_COPIES.items():
        documents = _documents(model, envelopes)
        assert documents, model
        for doc in documents.values():
            assert doc["title"] == doc[field], (model, doc["title"], doc[field])
