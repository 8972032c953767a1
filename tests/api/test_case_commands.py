"""Case commands over HTTP: who may do what, the lifecycle, idempotency and conflicts."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.legal_basis import REFUSAL

from .conftest import (
    ADMIN,
    ALL_MATERIALS,
    ANALYST,
    APPLICANT,
    AUDITOR,
    BUSINESS,
    CITIZEN,
    CLERK,
    COUNTY_CLERK,
    FEE,
    GATEWAY,
    LICENSED,
    OTHER_CITIZEN,
    OTHER_DEPARTMENT_CLERK,
    OTHER_REGION_CLERK,
    PROVINCE_CLERK,
)


def test_the_full_lifecycle_with_a_fee_paid_through_the_gateway_issues_a_licence(catalogue, app):
    http = catalogue
    submitted = http.post(
        "/cases",
        {
            "item_code": LICENSED,
            "applicant": APPLICANT,
            "channel": "web",
            "materials": [ALL_MATERIALS[0]],
            "form": {"shop_name": "蜀味"},
        },
        as_=CITIZEN,
    )
    assert submitted.status == 201
    case = submitted.body
    assert case["status"] == "submitted" and case["version"] == 1
    assert case["case_number"].startswith("SC-") and case["position"] == app.max_position()
    path = f"/cases/{case['case_id']}"

    requested = http.post(
        f"{path}/request-materials", {"codes": ["LAYOUT"], "note": "请补充平面图"}, as_=CLERK
    )
    assert (requested.status, requested.body["status"]) == (200, "materials_requested")
    supplemented = http.post(
        f"{path}/supplement-materials", {"materials": [ALL_MATERIALS[1]]}, as_=CITIZEN
    )
    assert (supplemented.status, supplemented.body["status"]) == (200, "submitted")

    accepted = http.post(f"{path}/accept", {"expected_version": 3}, as_=CLERK)
    # CaseAccepted and the link to the fee it requested in the same commit.
    assert (accepted.status, accepted.body["status"], accepted.body["version"]) == (
        200,
        "accepted",
        5,
    )
    payment_id = accepted.body["payment_id"]
    assert payment_id is not None

    assigned = http.post(f"{path}/assign", {"clerk_sub": "clerk-7"}, as_=CLERK)
    assert assigned.status == 200

    too_early = http.post(f"{path}/decide", {"outcome": "approved"}, as_=CLERK)
    assert too_early.status == 409
    assert "fee" in too_early.problem["detail"]

    settled = http.post(
        f"/payments/{payment_id}/settle",
        {"channel": "unionpay", "transaction_ref": "UP-0001", "amount_fen": FEE},
        as_=GATEWAY,
    )
    assert (settled.status, settled.body["status"]) == (200, "settled")

    decided = http.post(f"{path}/decide", {"outcome": "approved", "reasons": "符合条件"}, as_=CLERK)
    assert (decided.status, decided.body["status"]) == (200, "approved")
    assert decided.body["licence_number"].startswith("SCL-")
    assert decided.body["position"] == app.max_position()

    rated = http.post(f"{path}/rate", {"score": 5, "comment": "很快"}, as_=CITIZEN)
    assert rated.status == 200
    assert http.post(f"{path}/rate", {"score": 4}, as_=CITIZEN).status == 409


def test_suspension_resumption_and_extension_over_http(catalogue):
    case = catalogue.accepted()
    path = f"/cases/{case['case_id']}"
    assert (
        catalogue.post(f"{path}/suspend", {"reason": "等待鉴定"}, as_=CLERK).body["status"]
        == "suspended"
    )
    assert catalogue.post(f"{path}/resume", as_=CLERK).body["status"] == "accepted"
    extended = catalogue.post(f"{path}/extend", {"days": 10, "reason": "现场核查"}, as_=CLERK)
    assert (extended.status, extended.body["version"]) == (200, 5)


def test_refusing_acceptance_and_withdrawal_are_final(catalogue):
    refused = catalogue.submit()
    answer = catalogue.post(
        f"/cases/{refused['case_id']}/reject-acceptance",
        {"reason": "不属于本机关职权", "legal_basis": REFUSAL},
        as_=CLERK,
    )
    assert answer.body["status"] == "refused"
    withdrawn = catalogue.submit()
    answer = catalogue.post(
        f"/cases/{withdrawn['case_id']}/withdraw", {"reason": "不再需要"}, as_=CITIZEN
    )
    assert answer.body["status"] == "withdrawn"


def test_withdrawing_an_accepted_case_cancels_its_unpaid_fee(catalogue, app):
    case = catalogue.accepted(LICENSED)
    assert catalogue.post(f"/cases/{case['case_id']}/withdraw", as_=CITIZEN).status == 200
    assert app.repository.get(UUID(case["payment_id"])).status == "cancelled"


# --- who may submit -------------------------------------------------------------------


def test_a_citizen_submits_only_for_their_own_party(catalogue, app):
    before = app.max_position()
    answer = catalogue.post(
        "/cases",
        {"item_code": LICENSED, "applicant": APPLICANT, "channel": "web"},
        as_=OTHER_CITIZEN,
    )
    assert answer.status == 403
    business = {"party_id": BUSINESS, "kind": "business", "name": "蜀味餐饮有限公司"}
    answer = catalogue.post(
        "/cases", {"item_code": LICENSED, "applicant": business, "channel": "web"}, as_=CITIZEN
    )
    assert answer.status == 403
    assert app.max_position() == before


def test_a_clerk_submits_on_behalf_at_a_counter_channel_of_their_scope_only(catalogue):
    body = {
        "item_code": LICENSED,
        "applicant": APPLICANT,
        "channel": "hall",
        "materials": ALL_MATERIALS,
    }
    assert catalogue.post("/cases", body, as_=CLERK).status == 201
    web = catalogue.post("/cases", {**body, "channel": "web"}, as_=CLERK)
    assert web.status == 422 and web.problem["errors"][0]["field"] == "channel"
    assert catalogue.post("/cases", body, as_=OTHER_DEPARTMENT_CLERK).status == 403
    assert catalogue.post("/cases", body, as_=OTHER_REGION_CLERK).status == 403


@pytest.mark.parametrize(
    "caller", [ADMIN, GATEWAY, AUDITOR, ANALYST], ids=["admin", "gateway", "auditor", "analyst"]
)
def test_other_roles_may_not_submit(catalogue, caller):
    body = {"item_code": LICENSED, "applicant": APPLICANT, "channel": "web"}
    assert catalogue.post("/cases", body, as_=caller).status == 403


def test_no_or_a_forged_token_is_401(catalogue):
    body = {"item_code": LICENSED, "applicant": APPLICANT, "channel": "web"}
    assert catalogue.post("/cases", body, as_=None).status == 401
    assert catalogue.post("/cases", body, as_=CITIZEN[:-4] + "AAAA").status == 401


def test_an_unknown_or_withdrawn_item_is_422(catalogue):
    answer = catalogue.post(
        "/cases",
        {"item_code": "510100-XK-9999", "applicant": APPLICANT, "channel": "web"},
        as_=CITIZEN,
    )
    assert answer.status == 422 and answer.problem["errors"][0]["field"] == "item_code"
    assert catalogue.delete(f"/catalog/items/{LICENSED}", as_=ADMIN).status == 200
    answer = catalogue.post(
        "/cases", {"item_code": LICENSED, "applicant": APPLICANT, "channel": "web"}, as_=CITIZEN
    )
    assert answer.status == 422


# --- scope of transitions -------------------------------------------------------------

CLERK_ACTIONS = [
    ("request-materials", {"codes": ["OTHER"]}),
    ("accept", None),
    ("reject-acceptance", {"reason": "不符合", "legal_basis": REFUSAL}),
    ("assign", {"clerk_sub": "clerk-9"}),
]


@pytest.mark.parametrize(("action", "body"), CLERK_ACTIONS, ids=[a for a, _ in CLERK_ACTIONS])
def test_clerk_actions_are_forbidden_to_citizens_and_hidden_from_clerks_out_of_scope(
    catalogue, app, action, body
):
    case = catalogue.submit()
    path = f"/cases/{case['case_id']}/{action}"
    before = app.max_position()
    assert catalogue.post(path, body, as_=CITIZEN).status == 403
    assert catalogue.post(path, body, as_=GATEWAY).status == 403
    assert catalogue.post(path, body, as_=ADMIN).status == 403
    for outsider in (OTHER_DEPARTMENT_CLERK, OTHER_REGION_CLERK, COUNTY_CLERK):
        answer = catalogue.post(path, body, as_=outsider)
        assert answer.status == 404, answer.body
    assert app.max_position() == before
    assert catalogue.post(path, body, as_=PROVINCE_CLERK).status == 200


def test_a_case_out_of_scope_answers_exactly_like_a_missing_one(catalogue):
    case = catalogue.submit()
    hidden = catalogue.post(f"/cases/{case['case_id']}/accept", as_=OTHER_DEPARTMENT_CLERK)
    missing = catalogue.post(f"/cases/{uuid4()}/accept", as_=OTHER_DEPARTMENT_CLERK)
    assert hidden.status == missing.status == 404
    assert hidden.body["detail"] == f"No case with identifier {case['case_id']}."
    assert {**hidden.body, "detail": ""} == {**missing.body, "detail": ""}


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("withdraw", None),
        ("supplement-materials", {"materials": [{"code": "OTHER", "document_ref": "doc-x"}]}),
        ("rate", {"score": 3}),
    ],
    ids=["withdraw", "supplement", "rate"],
)
def test_applicant_actions_are_hidden_from_other_citizens_and_forbidden_to_staff(
    catalogue, app, action, body
):
    case = catalogue.submit()
    path = f"/cases/{case['case_id']}/{action}"
    before = app.max_position()
    assert catalogue.post(path, body, as_=OTHER_CITIZEN).status == 404
    assert catalogue.post(path, body, as_=CLERK).status == 403
    assert catalogue.post(path, body, as_=ADMIN).status == 403
    assert app.max_position() == before


# --- conflicts ------------------------------------------------------------------------


def test_a_stale_expected_version_is_409_with_the_current_version(catalogue, app):
    case = catalogue.submit()
    catalogue.post(f"/cases/{case['case_id']}/assign", {"clerk_sub": "clerk-7"}, as_=CLERK)
    before = app.max_position()
    answer = catalogue.post(f"/cases/{case['case_id']}/accept", {"expected_version": 1}, as_=CLERK)
    assert answer.status == 409
    assert "current version is 2" in answer.problem["detail"]
    assert app.max_position() == before


def test_an_illegal_transition_is_409_with_the_current_status(catalogue, app):
    case = catalogue.submit()
    before = app.max_position()
    answer = catalogue.post(f"/cases/{case['case_id']}/decide", {"outcome": "approved"}, as_=CLERK)
    assert answer.status == 409
    assert "'submitted'" in answer.problem["detail"]
    assert app.max_position() == before


def test_accepting_without_the_required_materials_is_409(catalogue):
    case = catalogue.submit(materials=[ALL_MATERIALS[0]])
    answer = catalogue.post(f"/cases/{case['case_id']}/accept", as_=CLERK)
    assert answer.status == 409 and "LAYOUT" in answer.problem["detail"]


# --- idempotency ----------------------------------------------------------------------


def submit_body(**overrides):
    return {
        "item_code": LICENSED,
        "applicant": APPLICANT,
        "channel": "web",
        "materials": ALL_MATERIALS,
        **overrides,
    }


def test_the_same_key_and_body_answer_the_stored_result_and_append_nothing(catalogue, app):
    first = catalogue.post("/cases", submit_body(), as_=CITIZEN, key="submit-1")
    assert first.status == 201
    after_first = app.max_position()
    again = catalogue.post("/cases", submit_body(), as_=CITIZEN, key="submit-1")
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert app.max_position() == after_first


def test_the_same_key_with_another_body_is_422_and_appends_nothing(catalogue, app):
    catalogue.post("/cases", submit_body(), as_=CITIZEN, key="submit-2")
    before = app.max_position()
    other = catalogue.post("/cases", submit_body(channel="app"), as_=CITIZEN, key="submit-2")
    assert other.status == 422
    assert other.problem["errors"][0]["field"] == "Idempotency-Key"
    assert app.max_position() == before


def test_a_key_is_scoped_to_its_caller_and_its_route(catalogue):
    first = catalogue.post("/cases", submit_body(), as_=CITIZEN, key="shared")
    # Another caller with the same key makes their own request.
    hall = catalogue.post("/cases", submit_body(channel="hall"), as_=CLERK, key="shared")
    assert hall.status == 201 and hall.body["case_id"] != first.body["case_id"]
    # Another route of the same caller too.
    accepted = catalogue.post(f"/cases/{hall.body['case_id']}/accept", as_=CLERK, key="shared")
    assert accepted.status == 200 and accepted.body["status"] == "accepted"


def test_a_key_reused_on_another_case_is_another_request(catalogue, app):
    one, two = catalogue.submit(), catalogue.submit()
    assert catalogue.post(f"/cases/{one['case_id']}/accept", as_=CLERK, key="acc").status == 200
    before = app.max_position()
    answer = catalogue.post(f"/cases/{two['case_id']}/accept", as_=CLERK, key="acc")
    assert answer.status == 422
    assert app.max_position() == before


def test_a_replayed_transition_answers_the_first_result_even_after_later_changes(catalogue, app):
    case = catalogue.submit()
    path = f"/cases/{case['case_id']}/assign"
    first = catalogue.post(
        path, {"clerk_sub": "clerk-7", "expected_version": 1}, as_=CLERK, key="assign-1"
    )
    catalogue.post(f"/cases/{case['case_id']}/accept", as_=CLERK)
    before = app.max_position()
    again = catalogue.post(
        path, {"clerk_sub": "clerk-7", "expected_version": 1}, as_=CLERK, key="assign-1"
    )
    assert (again.status, again.body) == (200, first.body)
    assert app.max_position() == before


def test_openapi_documents_every_command_with_its_key_its_codes_and_problem_answers(http):
    doc = http.client.get("/api/v1/openapi.json").json()
    commands = [
        (path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "delete") and not path.endswith("/dev/tokens")
    ]
    assert len(commands) >= 27
    for path, op in commands:
        assert "Idempotency-Key" in [p["name"] for p in op.get("parameters", [])], path
        assert {"401", "403", "404", "409", "422"} <= set(op["responses"]), path
        assert "application/problem+json" in op["responses"]["409"]["content"], path
        assert {"200", "201"} & set(op["responses"]), path
