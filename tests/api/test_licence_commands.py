"""Licence commands of the issuing department over HTTP."""

from __future__ import annotations

import pytest

from .conftest import (
    CITIZEN,
    CLERK,
    GATEWAY,
    OTHER_DEPARTMENT_CLERK,
    OTHER_REGION_CLERK,
    PROVINCE_CLERK,
)


@pytest.fixture
def licence(catalogue) -> str:
    return catalogue.approved_licence()


def test_the_issuing_department_suspends_resumes_renews_and_revokes(catalogue, licence):
    path = f"/licences/{licence}"
    suspended = catalogue.post(f"{path}/suspend", {"reason": "整改"}, as_=CLERK)
    assert (suspended.status, suspended.body["status"], suspended.body["licence_number"]) == (
        200,
        "suspended",
        licence,
    )
    assert catalogue.post(f"{path}/resume", as_=CLERK).body["status"] == "active"
    renewed = catalogue.post(f"{path}/renew", {"expected_version": 3}, as_=PROVINCE_CLERK)
    assert renewed.status == 200 and renewed.body["valid_until"] > suspended.body["valid_until"]
    revoked = catalogue.post(f"{path}/revoke", {"reason": "以欺骗手段取得"}, as_=CLERK)
    assert (revoked.status, revoked.body["status"], revoked.body["version"]) == (200, "revoked", 5)


def test_other_departments_and_regions_see_no_licence_and_other_roles_are_forbidden(
    catalogue, app, licence
):
    path = f"/licences/{licence}/revoke"
    before = app.max_position()
    assert catalogue.post(path, {"reason": "x"}, as_=OTHER_DEPARTMENT_CLERK).status == 404
    assert catalogue.post(path, {"reason": "x"}, as_=OTHER_REGION_CLERK).status == 404
    assert catalogue.post(path, {"reason": "x"}, as_=CITIZEN).status == 403
    assert catalogue.post(path, {"reason": "x"}, as_=GATEWAY).status == 403
    assert (
        catalogue.post(
            "/licences/SCL-2025-510100-99999999/revoke", {"reason": "x"}, as_=CLERK
        ).status
        == 404
    )
    assert app.max_position() == before


def test_suspending_needs_a_reason_and_an_active_licence(catalogue, app, licence):
    path = f"/licences/{licence}"
    before = app.max_position()
    missing = catalogue.post(f"{path}/suspend", {"reason": "  "}, as_=CLERK)
    assert missing.status == 422 and missing.problem["errors"][0]["field"] == "reason"
    resumed = catalogue.post(f"{path}/resume", as_=CLERK)
    assert resumed.status == 409 and "'active'" in resumed.problem["detail"]
    assert app.max_position() == before
