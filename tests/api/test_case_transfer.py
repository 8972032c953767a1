"""Transfer of a case between departments (转办) over HTTP: who may transfer, where to, what
is refused with nothing changed, and the receiving department taking over the case, its fee
and the licence; audit and the applicant's access log show it."""

from __future__ import annotations

from uuid import UUID

import pytest

from .conftest import (
    ADMIN,
    AUDITOR,
    CITIZEN,
    CLERK,
    FEE,
    GATEWAY,
    ITEM,
    LICENSED,
    OTHER_DEPARTMENT_CLERK,
    OTHER_REGION_CLERK,
    PERSON,
    PROVINCE_CLERK,
    item_body,
)

MIANYANG = "510700"
LICENSED_IN_MIANYANG = "510700-XK-0002"
TRAFFIC_SUCCESSOR = "510100-QR-0009"
REASON = "经营场所位于绵阳市，应由绵阳市市场监督管理局办理"


@pytest.fixture
def http(catalogue):
    """The catalogue, plus the licensed item in Mianyang and, for ITEM, a successor of the
    traffic police in Chengdu."""
    licensed = item_body(
        LICENSED_IN_MIANYANG,
        region_code=MIANYANG,
        name="食品经营许可(含证照)",
        fee_fen=FEE,
        licence_type="食品经营许可证",
        licence_valid_days=1825,
    )
    assert catalogue.post("/catalog/items", licensed, as_=ADMIN).status == 201
    successor = item_body(
        TRAFFIC_SUCCESSOR, item_type="administrative_confirmation", department="traffic-police"
    )
    assert catalogue.post("/catalog/items", successor, as_=ADMIN).status == 201
    revised = catalogue.put(
        f"/catalog/items/{ITEM}",
        {k: v for k, v in item_body(successor_code=TRAFFIC_SUCCESSOR).items() if k != "code"},
        as_=ADMIN,
    )
    assert revised.status == 200, revised.body
    return catalogue


def transfer(http, case_id: str, as_: str = CLERK, **body):
    body = {"department": "market-regulation", "region_code": MIANYANG, "reason": REASON, **body}
    return http.post(f"/cases/{case_id}/transfer", body, as_=as_, key=body.pop("key", None))


def events(app, case_id: str) -> list[str]:
    return [e.topic.rsplit(".", 1)[-1] for e in app.read_stream(UUID(case_id))]


def test_the_receiving_department_takes_over_the_case_its_fee_and_its_licence(http, app):
    case = http.accepted(LICENSED)
    fee = case["payment_id"]
    moved = transfer(http, case["case_id"], expected_version=case["version"])
    assert moved.status == 200, moved.body
    assert moved.body == {
        "case_id": case["case_id"],
        "case_number": case["case_number"],
        "status": "submitted",
        "version": case["version"] + 1,
        "position": app.max_position(),
    }
    # The transferring clerks lost it: the case and its fee are not found for them.
    assert http.post(f"/cases/{case['case_id']}/accept", as_=CLERK).status == 404
    assert http.post(f"/payments/{fee}/cancel", {"reason": "误收"}, as_=CLERK).status == 404
    # The receiving clerks accept it (the clock starts again) and find the same fee.
    accepted = http.post(f"/cases/{case['case_id']}/accept", as_=OTHER_REGION_CLERK)
    assert accepted.status == 200 and accepted.body["payment_id"] == fee
    settled = http.post(
        f"/payments/{fee}/settle",
        {"channel": "unionpay", "transaction_ref": "UP-T1", "amount_fen": FEE},
        as_=GATEWAY,
    )
    assert settled.status == 200, settled.body
    decided = http.post(
        f"/cases/{case['case_id']}/decide", {"outcome": "approved"}, as_=OTHER_REGION_CLERK
    )
    assert decided.status == 200, decided.body
    number = decided.body["licence_number"]
    assert f"-{MIANYANG}-" in number
    suspend = {"reason": "整改"}
    assert http.post(f"/licences/{number}/suspend", suspend, as_=CLERK).status == 404
    assert http.post(f"/licences/{number}/suspend", suspend, as_=OTHER_REGION_CLERK).status == 200
    refund = {"amount_fen": 100, "reason": "多收"}
    assert http.post(f"/payments/{fee}/refund", refund, as_=OTHER_REGION_CLERK).status == 200


def test_a_province_clerk_of_the_department_transfers_too_and_a_retry_replays(http, app):
    case = http.submit(LICENSED)
    first = transfer(http, case["case_id"], as_=PROVINCE_CLERK, key="transfer-1")
    assert first.status == 200, first.body
    # The answer was lost: the same request again answers the stored result, though the
    # case has left Chengdu.
    again = transfer(http, case["case_id"], as_=PROVINCE_CLERK, key="transfer-1")
    assert again.status == 200 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert events(app, case["case_id"]).count("CaseTransferred") == 1


def test_the_successor_named_in_the_catalogue_receives_the_case(http):
    case = http.submit(ITEM)
    moved = transfer(http, case["case_id"], department="traffic-police", region_code="510100")
    assert moved.status == 200, moved.body
    assert http.post(f"/cases/{case['case_id']}/accept", as_=CLERK).status == 404
    assert http.post(f"/cases/{case['case_id']}/accept", as_=OTHER_DEPARTMENT_CLERK).status == 200


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"department": "no-such-department"}, "department", "there is no department"),
        ({"department": "taxation", "region_code": "510100"}, "department", "does not offer"),
        ({"region_code": "510300"}, "department", "does not offer"),
        ({"region_code": "510100"}, "department", "already with market-regulation"),
        ({"region_code": "5107"}, "region_code", ""),
        ({"department": "Market_Regulation"}, "department", ""),
        ({"reason": ""}, "reason", "required"),
        ({"reason": None}, "reason", ""),
        ({"successor": "x"}, "successor", ""),
    ],
)
def test_a_transfer_nobody_can_receive_is_422_and_changes_nothing(http, app, body, field, detail):
    case = http.submit(LICENSED)
    before = app.max_position()
    refused = transfer(http, case["case_id"], **body)
    assert refused.status == 422, refused.body
    problem = refused.problem
    assert problem["type"].endswith("/invalid-request")
    assert problem["errors"][0]["field"].endswith(field) and detail in problem["detail"]
    assert app.max_position() == before
    assert http.post(f"/cases/{case['case_id']}/accept", as_=CLERK).status == 200


def test_a_concluded_case_is_409_and_changes_nothing(http, app):
    case = http.submit(ITEM)
    withdrawn = http.post(f"/cases/{case['case_id']}/withdraw", as_=CITIZEN)
    assert withdrawn.status == 200
    before = app.max_position()
    refused = transfer(http, case["case_id"])
    assert refused.status == 409
    assert refused.problem["type"].endswith("/illegal-transition")
    assert "withdrawn" in refused.problem["detail"]
    assert app.max_position() == before


def test_a_stale_version_is_409_and_changes_nothing(http, app):
    case = http.submit(ITEM)
    before = app.max_position()
    refused = transfer(http, case["case_id"], expected_version=5)
    assert refused.status == 409 and refused.problem["type"].endswith("/stale-version")
    assert app.max_position() == before


def test_only_a_clerk_holding_the_case_transfers_it(http, app):
    case = http.submit(ITEM)
    before = app.max_position()
    assert transfer(http, case["case_id"], as_=CITIZEN).status == 403
    assert transfer(http, case["case_id"], as_=AUDITOR).status == 403
    for outsider in (OTHER_REGION_CLERK, OTHER_DEPARTMENT_CLERK):
        answer = transfer(http, case["case_id"], as_=outsider)
        assert answer.status == 404 and answer.problem["type"].endswith("/not-found")
    assert transfer(http, "00000000-0000-4000-8000-000000000000").status == 404
    assert transfer(http, "not-a-uuid").status == 422
    assert app.max_position() == before


def test_audit_and_the_applicants_access_log_show_the_transfer(http, app):
    case = http.accepted(LICENSED)
    assert transfer(http, case["case_id"]).status == 200

    stream = http.call("get", f"/audit/streams/{case['case_id']}/events", as_=AUDITOR)
    assert stream.status == 200
    moved = stream.body["items"][-1]
    assert moved["event_type"] == "CaseTransferred" and moved["department"] == "market-regulation"
    assert moved["data"]["moved_from"] == {
        "department": "market-regulation",
        "region_code": "510100",
        "status": "accepted",
    }
    assert moved["data"]["region_code"] == MIANYANG
    assert moved["data"]["item_code"] == LICENSED_IN_MIANYANG
    fee = http.call("get", f"/audit/streams/{case['payment_id']}/events", as_=AUDITOR).body
    assert fee["items"][-1]["event_type"] == "PaymentTransferred"
    assert fee["items"][-1]["data"]["region_code"] == MIANYANG

    mine = http.call("get", "/me/access-log", as_=CITIZEN)
    assert mine.status == 200
    (entry,) = [e for e in mine.body["items"] if e["endpoint"].endswith("/transfer")]
    assert entry == {
        **entry,
        "role": "clerk",
        "sub": "clerk-7",
        "department": "market-regulation",
        "endpoint": f"POST /api/v1/cases/{case['case_id']}/transfer",
    }
    logged = http.call("get", f"/audit/access-log?party_id={PERSON}", as_=AUDITOR)
    assert logged.status == 200
    (entry,) = [e for e in logged.body["items"] if e["endpoint"].endswith("/transfer")]
    assert entry["query"] == f"transfer to market-regulation {MIANYANG}"
    assert entry["record_ids"] == [case["case_id"]]


def test_a_refused_transfer_leaves_no_access_log_entry(http):
    case = http.submit(ITEM)
    assert transfer(http, case["case_id"], department="taxation").status == 422
    mine = http.call("get", "/me/access-log", as_=CITIZEN)
    assert not [e for e in mine.body["items"] if e["endpoint"].endswith("/transfer")]


def test_the_catalogue_checks_the_successor_code(http):
    terms = {k: v for k, v in item_body().items() if k != "code"}
    for bad in ("510100-xk-1", ITEM):
        answer = http.put(f"/catalog/items/{ITEM}", {**terms, "successor_code": bad}, as_=ADMIN)
        assert answer.status == 422 and answer.problem["errors"][0]["field"] == "successor_code"
