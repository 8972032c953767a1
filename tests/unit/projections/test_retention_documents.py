"""Retention in the read models: the catalogue shows an item's rule, a closed case its archive,
and a destroyed case, its payment and its licence are rewritten to tombstones that hold no
personal data. Envelopes are built as the relay builds them and go through JSON."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import orjson
import pytest

from consumers.envelope import build_envelope
from consumers.projector import fold
from domain.services import Casetrack
from projections import PROJECTIONS
from tests.support.scenarios import item_terms
from tests.unit.domain.conftest import ADMIN, APPLICANT, CITIZEN, CLERK, GATEWAY, PERSON_ID, at

RULE = {"disposition": "destroy", "years": 3, "legal_basis": "《文书档案保管期限规定》"}
CODE, OLD = "510100-XK-0003", "510100-XK-0001"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _envelopes(app: Casetrack, after: int = 0) -> list[dict]:
    return [
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
        for e in app.read_log(after, 10_000)
    ]


def _documents(name: str, envelopes: list[dict]) -> dict[str, dict]:
    projection = PROJECTIONS[name]
    streams: dict[str, list[dict]] = {}
    for e in envelopes:
        if projection.handles(e):
            streams.setdefault(e["aggregate_id"], []).append(e)
    documents = {}
    for aggregate_id, stream in streams.items():
        document, applied, _, dead = fold(projection, None, stream)
        assert dead == [] and applied == len(stream)
        documents[aggregate_id] = document
    return documents


@pytest.fixture(scope="module")
def world():
    clock = Clock(at(2026, 5, 20))
    app = Casetrack({"CASETRACK_EVENT_STORE": "memory://"}, clock=clock)
    app.publish_item(code=OLD, actor=ADMIN, **item_terms())
    terms = item_terms(fee_fen=100, licence_type="许可证", licence_valid_days=365, retention=RULE)
    app.publish_item(code=CODE, actor=ADMIN, **terms)
    case_id = app.submit_case(
        item_code=CODE,
        applicant=APPLICANT,
        channel="web",
        materials=[
            {"code": "LICENCE", "document_ref": "oss://材料/张小三-营业执照.pdf"},
            {"code": "LAYOUT", "document_ref": "oss://材料/layout.pdf"},
        ],
        form={"联系电话": "13800138000", "地址": "锦江区红星路一段1号"},
        actor=CITIZEN,
    )["case_id"]
    fee = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=fee, channel="unionpay", transaction_ref="T-9", amount_fen=100, actor=GATEWAY
    )
    app.decide_case(case_id=case_id, outcome="approved", reasons="符合条件", actor=CLERK)
    app.rate_case(case_id=case_id, score=5, comment="张小三很满意", actor=CITIZEN)
    closed = _envelopes(app)
    clock.now = at(2029, 6, 1)
    assert app.run_retention(actor=ADMIN)["destroyed"] == [case_id]
    yield app, case_id, fee, closed, _envelopes(app)
    app.close()


def test_the_catalogue_shows_each_items_rule_and_the_default_for_none(world):
    _, _, _, _, envelopes = world
    items = {d["code"]: d for d in _documents("catalog", envelopes).values()}
    assert items[CODE]["retention"] == RULE
    assert items[OLD]["retention"] == {"disposition": "destroy", "years": 30, "legal_basis": ""}


def test_a_closed_case_shows_its_archive(world):
    _, case_id, _, closed, _ = world
    doc = _documents("cases", closed)[case_id]
    assert doc["archive"] == {
        "disposition": "destroy",
        "action_date": "2029-05-20",
        "years": 3,
        "legal_basis": RULE["legal_basis"],
        "closed_on": "2026-05-20",
    }


def test_a_destroyed_case_and_its_payment_and_licence_are_tombstones(world):
    app, case_id, fee, _, envelopes = world
    case = _documents("cases", envelopes)[case_id]
    assert case["status"] == "destroyed" and case["applicant"] is None
    assert case["party_ids"] == [] and case["materials"] == []
    assert case["decision"]["outcome"] == "approved" and "reasons" not in case["decision"]
    assert case["destroyed"]["action_date"] == "2029-05-20"
    assert case["case_number"] and case["item_code"] == CODE and case["archive"]
    payment = _documents("payments", envelopes)[fee]
    assert payment["payer_party_id"] is None and payment["party_ids"] == []
    assert payment["amount_fen"] == 100 and payment["status"] == "settled"
    licence_id = str(app.repository.get(UUID(case_id)).licence_id)
    licence = _documents("licences", envelopes)[licence_id]
    assert licence["status"] == "destroyed" and licence["holder"] is None
    assert licence["verification_code"] is None and licence["party_ids"] == []
    for document in (case, payment, licence):
        _holds_no_personal_data(orjson.dumps(document))


def test_the_tombstone_envelopes_hold_no_personal_data(world):
    _, _, _, closed, envelopes = world
    tombstones = envelopes[len(closed) :]
    assert {e["event_type"] for e in tombstones} == {
        "CaseDestroyed",
        "PaymentDestroyed",
        "LicenceDestroyed",
    }
    for envelope in tombstones:
        _holds_no_personal_data(orjson.dumps(envelope))
    [case] = [e for e in tombstones if e["event_type"] == "CaseDestroyed"]
    assert case["data"]["tombstone"]["action_date"] == "2029-05-20"
    assert date.fromisoformat(case["data"]["tombstone"]["action_date"]) <= date(2029, 6, 1)


def _holds_no_personal_data(raw: bytes) -> None:
    for personal in (
        PERSON_ID,
        APPLICANT["name"],
        "13800138000",
        "红星路",
        "营业执照.pdf",
        "很满意",
        "符合条件",
    ):
        assert personal.encode() not in raw, personal
