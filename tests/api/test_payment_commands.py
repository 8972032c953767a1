"""Payment commands over HTTP: charges, the gateway's settlement, refunds, cancellation,
and the development-only payer's simulated gateway."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from api.config import Config
from api.routers import dev

from .conftest import (
    ADMIN,
    CITIZEN,
    CLERK,
    FEE,
    GATEWAY,
    LICENSED,
    OTHER_CITIZEN,
    OTHER_DEPARTMENT_CLERK,
    OTHER_REGION_CLERK,
    PERSON,
    PROVINCE_CLERK,
)


def settle(http, payment_id, *, ref="UP-1", amount=FEE, as_=GATEWAY, **extra):
    return http.post(
        f"/payments/{payment_id}/settle",
        {"channel": "unionpay", "transaction_ref": ref, "amount_fen": amount, **extra},
        as_=as_,
    )


@pytest.fixture
def fee(catalogue) -> str:
    return catalogue.accepted(LICENSED)["payment_id"]


def test_settling_again_with_the_same_transaction_ref_answers_the_first_result_and_appends_nothing(
    catalogue, app, fee
):
    first = settle(catalogue, fee)
    assert (first.status, first.body["status"]) == (200, "settled")
    after = app.max_position()
    again = settle(catalogue, fee)
    assert (again.status, again.body) == (200, first.body)
    assert app.max_position() == after


def test_the_same_transaction_ref_with_another_amount_is_422(catalogue, app, fee):
    settle(catalogue, fee)
    before = app.max_position()
    answer = settle(catalogue, fee, amount=FEE + 1)
    assert answer.status == 422 and answer.problem["errors"][0]["field"] == "amount_fen"
    assert app.max_position() == before


def test_an_amount_other_than_the_amount_due_is_422(catalogue, app, fee):
    before = app.max_position()
    assert settle(catalogue, fee, amount=FEE - 1).status == 422
    assert app.max_position() == before


def test_a_second_transaction_on_a_settled_payment_is_409_with_its_status(catalogue, fee):
    settle(catalogue, fee)
    answer = settle(catalogue, fee, ref="UP-2")
    assert answer.status == 409 and "'settled'" in answer.problem["detail"]


def test_only_the_gateway_settles(catalogue, fee):
    for caller in (CLERK, CITIZEN, ADMIN):
        assert settle(catalogue, fee, as_=caller).status == 403
    assert settle(catalogue, uuid4()).status == 404


def test_refunds_never_exceed_what_was_paid_and_need_a_clerk_in_scope(catalogue, app, fee):
    settle(catalogue, fee)
    path = f"/payments/{fee}/refund"
    assert catalogue.post(path, {"amount_fen": 1000, "reason": "多收"}, as_=CITIZEN).status == 403
    assert (
        catalogue.post(
            path, {"amount_fen": 1000, "reason": "多收"}, as_=OTHER_DEPARTMENT_CLERK
        ).status
        == 404
    )
    partial = catalogue.post(path, {"amount_fen": 1000, "reason": "多收"}, as_=CLERK)
    assert (partial.status, partial.body["status"]) == (200, "partially_refunded")
    before = app.max_position()
    too_much = catalogue.post(path, {"amount_fen": FEE, "reason": "全部退还"}, as_=CLERK)
    assert too_much.status == 422 and too_much.problem["errors"][0]["field"] == "amount_fen"
    assert app.max_position() == before
    rest = catalogue.post(
        path, {"amount_fen": FEE - 1000, "reason": "全部退还"}, as_=PROVINCE_CLERK
    )
    assert rest.body["status"] == "refunded"


def test_only_an_unpaid_payment_can_be_cancelled(catalogue, fee):
    path = f"/payments/{fee}/cancel"
    assert catalogue.post(path, {"reason": "开具有误"}, as_=OTHER_REGION_CLERK).status == 404
    stale = catalogue.post(path, {"reason": "开具有误", "expected_version": 7}, as_=CLERK)
    assert stale.status == 409 and "current version is 1" in stale.problem["detail"]
    assert catalogue.post(path, {"reason": "开具有误"}, as_=CLERK).body["status"] == "cancelled"
    again = catalogue.post(path, {"reason": "开具有误"}, as_=CLERK)
    assert again.status == 409 and "'cancelled'" in again.problem["detail"]


def test_a_clerk_charges_a_case_in_scope_and_a_second_open_charge_is_409(catalogue, app):
    case = catalogue.submit()
    body = {
        "amount_fen": 2000,
        "payer_party_id": PERSON,
        "reference": {"case_id": case["case_id"]},
        "due_date": "2030-01-31",
    }
    assert catalogue.post("/payments", body, as_=CITIZEN).status == 403
    assert catalogue.post("/payments", body, as_=OTHER_DEPARTMENT_CLERK).status == 404
    charged = catalogue.post("/payments", body, as_=CLERK)
    assert (charged.status, charged.body["status"], charged.body["version"]) == (
        201,
        "requested",
        1,
    )
    before = app.max_position()
    assert catalogue.post("/payments", body, as_=CLERK).status == 409
    assert app.max_position() == before


def test_a_charge_names_exactly_one_existing_reference(catalogue):
    base = {"amount_fen": 2000, "payer_party_id": PERSON, "due_date": "2030-01-31"}
    neither = catalogue.post("/payments", {**base, "reference": {}}, as_=CLERK)
    assert neither.status == 422 and neither.problem["errors"][0]["field"] == "reference"
    both = catalogue.post(
        "/payments",
        {**base, "reference": {"case_id": str(uuid4()), "violation_id": str(uuid4())}},
        as_=CLERK,
    )
    assert both.status == 422
    assert (
        catalogue.post(
            "/payments", {**base, "reference": {"case_id": str(uuid4())}}, as_=CLERK
        ).status
        == 404
    )


# --- development: the payer's simulated gateway -----------------------------------------


def test_the_payer_pays_through_the_dev_gateway_once(catalogue, app, fee):
    paid = catalogue.post(f"/dev/pay/{fee}", as_=CITIZEN)
    assert (paid.status, paid.body["status"]) == (200, "settled")
    after = app.max_position()
    again = catalogue.post(f"/dev/pay/{fee}", as_=CITIZEN)
    assert (again.status, again.body) == (200, paid.body)
    assert app.max_position() == after
    assert app.repository.get(UUID(fee)).channel == "dev"


def test_dev_pay_hides_other_payers_payments_and_refuses_staff(catalogue, app, fee):
    before = app.max_position()
    assert catalogue.post(f"/dev/pay/{fee}", as_=OTHER_CITIZEN).status == 404
    assert catalogue.post(f"/dev/pay/{fee}", as_=CLERK).status == 403
    assert app.max_position() == before


def test_dev_pay_does_not_exist_in_production(catalogue, app, fee, monkeypatch):
    monkeypatch.setattr(
        dev,
        "get_config",
        lambda: Config(env="production", jwks_url="http://keys.invalid"),
    )
    before = app.max_position()
    assert catalogue.post(f"/dev/pay/{fee}", as_=CITIZEN).status == 404
    assert app.max_position() == before
