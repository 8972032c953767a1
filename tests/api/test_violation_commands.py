"""Violation commands over HTTP: recording with the fine, contesting, resolving."""

from __future__ import annotations

from uuid import UUID

import pytest

from .conftest import (
    ADMIN,
    CITIZEN,
    CLERK,
    COUNTY_CLERK,
    GATEWAY,
    OTHER_CITIZEN,
    OTHER_DEPARTMENT_CLERK,
    PERSON,
)


def violation_body(**overrides):
    return {
        "party_id": PERSON,
        "party_name": "张小三",
        "description": "占道经营",
        "location": "锦江区红星路三段",
        "region_code": "510104",
        "occurred_at": "2025-09-01T09:30:00+08:00",
        "fine_fen": 20000,
        "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
        **overrides,
    }


@pytest.fixture
def violation(http) -> dict:
    answer = http.post("/violations", violation_body(), as_=CLERK)
    assert answer.status == 201, answer.body
    return answer.body


def test_recording_a_violation_requests_its_fine(http, app, violation):
    assert violation["status"] == "fine_requested" and violation["payment_id"]
    assert violation["position"] == app.max_position()
    fine = app.repository.get(UUID(violation["payment_id"]))
    assert (fine.kind, fine.amount_fen, fine.department) == ("fine", 20000, "market-regulation")


def test_a_clerk_records_violations_within_their_region_only(http, app):
    before = app.max_position()
    assert http.post("/violations", violation_body(region_code="510700"), as_=CLERK).status == 403
    assert (
        http.post("/violations", violation_body(region_code="510105"), as_=COUNTY_CLERK).status
        == 403
    )
    assert http.post("/violations", violation_body(), as_=CITIZEN).status == 403
    assert http.post("/violations", violation_body(), as_=ADMIN).status == 403
    assert app.max_position() == before


def test_a_violation_in_the_future_or_without_an_offset_is_422(http, app):
    before = app.max_position()
    future = http.post(
        "/violations", violation_body(occurred_at="2999-01-01T00:00:00+08:00"), as_=CLERK
    )
    assert future.status == 422 and future.problem["errors"][0]["field"] == "occurred_at"
    naive = http.post("/violations", violation_body(occurred_at="2025-09-01T09:30:00"), as_=CLERK)
    assert naive.status == 422 and naive.problem["errors"][0]["field"] == "occurred_at"
    assert app.max_position() == before


def test_only_the_party_contests_and_others_see_nothing(http, app, violation):
    path = f"/violations/{violation['violation_id']}/contest"
    before = app.max_position()
    assert http.post(path, {"reason": "不是我"}, as_=OTHER_CITIZEN).status == 404
    assert http.post(path, {"reason": "不是我"}, as_=CLERK).status == 403
    assert http.post(path, {"reason": "不是我"}, as_=GATEWAY).status == 403
    assert app.max_position() == before
    contested = http.post(path, {"reason": "车辆已借给他人"}, as_=CITIZEN)
    assert (contested.status, contested.body["status"]) == (200, "contested")
    again = http.post(path, {"reason": "再次申辩"}, as_=CITIZEN)
    assert again.status == 409 and "'contested'" in again.problem["detail"]


def test_annulling_a_violation_cancels_its_unpaid_fine(http, app, violation):
    path = f"/violations/{violation['violation_id']}/resolve"
    assert (
        http.post(
            path, {"outcome": "annulled", "reason": "证据不足"}, as_=OTHER_DEPARTMENT_CLERK
        ).status
        == 404
    )
    assert http.post(path, {"outcome": "annulled", "reason": "证据不足"}, as_=CITIZEN).status == 403
    resolved = http.post(path, {"outcome": "annulled", "reason": "证据不足"}, as_=CLERK)
    assert (resolved.status, resolved.body["status"]) == (200, "resolved")
    assert app.repository.get(UUID(violation["payment_id"])).status == "cancelled"


def test_annulling_without_a_reason_is_422_naming_it(http, app, violation):
    before = app.max_position()
    answer = http.post(
        f"/violations/{violation['violation_id']}/resolve", {"outcome": "annulled"}, as_=CLERK
    )
    assert answer.status == 422 and answer.problem["errors"][0]["field"] == "reason"
    assert app.max_position() == before
