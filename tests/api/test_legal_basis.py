"""The legal basis of decisions over HTTP: required to reject, to refuse and to penalise,
given as text (as before) or as {law, article}, and stored as {law, article}."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest

from domain.legal_basis import REFUSAL

from .conftest import CLERK, PERSON


@pytest.fixture
def accepted(catalogue) -> str:
    return catalogue.accepted()["case_id"]


def _stored(app, case_id: str, event_type: str) -> dict:
    """The last stored event of that type, as stored (bytes decoded, nothing upcast)."""
    found = [e for e in app.read_stream(UUID(case_id)) if e.topic.endswith(f".{event_type}")]
    return orjson.loads(found[-1].state)


@pytest.mark.parametrize("missing", [{}, {"legal_basis": ""}, {"legal_basis": "   "}])
def test_a_rejection_without_a_legal_basis_is_422_and_records_nothing(
    catalogue, app, accepted, missing
):
    before = app.max_position()
    body = {"outcome": "rejected", "reasons": "场所不符合要求", **missing}
    answer = catalogue.post(f"/cases/{accepted}/decide", body, as_=CLERK)
    assert answer.status == 422, answer.body
    assert answer.problem["errors"][0]["field"] == "legal_basis"
    assert app.max_position() == before
    assert app.repository.get(UUID(accepted)).status == "accepted"


def test_a_refusal_without_a_legal_basis_is_422_and_records_nothing(catalogue, app):
    case = catalogue.submit()["case_id"]
    before = app.max_position()
    for body in ({"reason": "不属于本机关职权"}, {"reason": "不属于本机关职权", "legal_basis": ""}):
        answer = catalogue.post(f"/cases/{case}/reject-acceptance", body, as_=CLERK)
        assert answer.status == 422, answer.body
        assert answer.problem["errors"][0]["field"].startswith("legal_basis")
    assert app.max_position() == before


def test_a_penalty_without_a_legal_basis_is_422_and_records_nothing(http, app):
    body = {
        "party_id": PERSON,
        "description": "占道经营",
        "location": "锦江区红星路三段",
        "region_code": "510104",
        "occurred_at": "2025-09-01T09:30:00+08:00",
        "fine_fen": 20000,
    }
    before = app.max_position()
    for missing in ({}, {"legal_basis": "  "}):
        answer = http.post("/violations", {**body, **missing}, as_=CLERK)
        assert answer.status == 422, answer.body
        assert answer.problem["errors"][0]["field"] == "legal_basis"
    assert app.max_position() == before


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (
            "《中华人民共和国食品安全法》第三十五条",
            {"law": "中华人民共和国食品安全法", "article": "第三十五条"},
        ),
        ("食品安全法第三十五条第一款", {"law": "食品安全法", "article": "第三十五条第一款"}),
        ("地方性法规", {"law": "地方性法规", "article": ""}),
        (
            {"law": "食品经营许可管理办法", "article": "第十二条"},
            {"law": "食品经营许可管理办法", "article": "第十二条"},
        ),
    ],
)
def test_a_rejection_stores_the_legal_basis_as_law_and_article(
    catalogue, app, accepted, given, stored
):
    body = {"outcome": "rejected", "reasons": "场所不符合要求", "legal_basis": given}
    answer = catalogue.post(f"/cases/{accepted}/decide", body, as_=CLERK)
    assert answer.status == 200, answer.body
    state = _stored(app, accepted, "CaseDecided")
    assert (state["class_version"], state["legal_basis"]) == (3, stored)
    assert app.repository.get(UUID(accepted)).decision["legal_basis"] == stored


def test_a_refusal_stores_its_legal_basis(catalogue, app):
    case = catalogue.submit()["case_id"]
    answer = catalogue.post(
        f"/cases/{case}/reject-acceptance",
        {"reason": "不属于本机关职权", "legal_basis": REFUSAL},
        as_=CLERK,
    )
    assert answer.status == 200, answer.body
    state = _stored(app, case, "CaseRefused")
    assert state["legal_basis"] == {"law": "中华人民共和国行政许可法", "article": "第三十二条"}


def test_an_approval_may_cite_no_legal_basis(catalogue, app, accepted):
    answer = catalogue.post(f"/cases/{accepted}/decide", {"outcome": "approved"}, as_=CLERK)
    assert answer.status == 200, answer.body
    assert _stored(app, accepted, "CaseDecided")["legal_basis"] is None


@pytest.mark.parametrize(
    "bad",
    [
        {"law": ""},
        {"article": "第三条"},
        {"law": "食品安全法", "article": "第三条", "clause": "一"},
        {"law": "x" * 2001},
        "x" * 2001,
        ["食品安全法"],
    ],
)
def test_a_malformed_legal_basis_is_422_and_records_nothing(catalogue, app, accepted, bad):
    before = app.max_position()
    body = {"outcome": "rejected", "reasons": "不符合", "legal_basis": bad}
    answer = catalogue.post(f"/cases/{accepted}/decide", body, as_=CLERK)
    assert answer.status == 422, answer.body
    assert answer.problem["errors"][0]["field"].startswith("legal_basis")
    assert app.max_position() == before
