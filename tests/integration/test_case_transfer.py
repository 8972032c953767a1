"""A transferred case on the real stack: Kafka, Elasticsearch and the HTTP queries.

After a transfer (转办) the case, its fee and the licence its approval issues are seen and
worked by the receiving department's clerks only: case view, worklist and search follow the
case, and every read model still equals a replay of the event store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.test import Client

from api.auth import issue_dev_token
from tests.support.live import Live, live_casetrack
from tests.support.readmodels import differences
from tests.support.scenarios import PERSON, PERSON_ID, item_terms
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration

ADMIN = {"role": "admin", "subject": "admin-1"}
CHENGDU = "510100-XK-0002"
MIANYANG = "510700-XK-0002"
FEE = 5000
TOKENS = {
    "chengdu": issue_dev_token(
        role="clerk", sub="clerk-cd", department="market-regulation", region_code="510100"
    ),
    "mianyang": issue_dev_token(
        role="clerk", sub="clerk-my", department="market-regulation", region_code="510700"
    ),
    "health": issue_dev_token(
        role="clerk", sub="clerk-h", department="health", region_code="510000"
    ),
    "gateway": issue_dev_token(role="gateway", sub="unionpay"),
}


def read(path: str, as_: str, **params: Any) -> tuple[int, Any]:
    """A query with `consistent_after`, asked again until the answer is consistent (the
    server waits 5 s at most per request; the shared machine may lag longer)."""
    answers: list[tuple[int, Any]] = []

    def consistent() -> bool:
        answers.append(call("get", path, as_, **params))
        status, body = answers[-1]
        return status != 200 or body["consistent"]

    wait_until(consistent, timeout_s=90, interval_s=0.1, what=f"a consistent answer of {path}")
    return answers[-1]


def call(method: str, path: str, as_: str, body: dict | None = None, **params: Any):
    headers = {"Authorization": f"Bearer {TOKENS[as_]}"}
    client = Client()
    if method == "get":
        response = client.get(f"/api/v1{path}", data=params, headers=headers)
    else:
        response = client.post(
            f"/api/v1{path}",
            data=orjson.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )
    return response.status_code, orjson.loads(response.content)


@pytest.fixture(scope="module")
def live(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[Live]:
    with live_casetrack(
        tmp_path_factory.mktemp("transfer"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="transfer",
    ) as live:
        terms = {"fee_fen": FEE, "licence_type": "食品经营许可证", "licence_valid_days": 1825}
        live.app.publish_item(code=CHENGDU, actor=ADMIN, **item_terms(**terms))
        live.app.publish_item(
            code=MIANYANG, actor=ADMIN, **item_terms(region_code="510700", **terms)
        )
        live.wait_caught_up()
        yield live


def _ids(answer: dict) -> set[str]:
    return {hit["id"] for hit in answer["hits"]}


def test_the_case_its_fee_and_its_licence_follow_the_transfer(live):
    app = live.app
    case_id = app.submit_case(
        item_code=CHENGDU,
        applicant=PERSON,
        channel="web",
        materials=[
            {"code": "LICENCE", "document_ref": "doc-1"},
            {"code": "LAYOUT", "document_ref": "doc-2"},
        ],
        actor={"role": "citizen", "subject": PERSON_ID, "channel": "web"},
    )["case_id"]
    status, accepted = call("post", f"/cases/{case_id}/accept", "chengdu")
    assert status == 200, accepted
    fee = accepted["payment_id"]
    status, before = read("/worklist", "chengdu", consistent_after=accepted["position"])
    assert before["consistent"] and case_id in {c["case_id"] for c in before["items"]}

    status, moved = call(
        "post",
        f"/cases/{case_id}/transfer",
        "chengdu",
        {"department": "market-regulation", "region_code": "510700", "reason": "属地管辖"},
    )
    assert status == 200, moved
    after = moved["position"]

    # The transferring department no longer sees the case or its fee, anywhere.
    assert read(f"/cases/{case_id}", "chengdu", consistent_after=after)[0] == 404
    _, worklist = read("/worklist", "chengdu", consistent_after=after)
    assert worklist["consistent"] and case_id not in {c["case_id"] for c in worklist["items"]}
    _, found = read("/search", "chengdu", q=case_id, consistent_after=after)
    assert found["consistent"] and found["total"] == 0
    _, found = read("/search", "chengdu", q=fee, consistent_after=after)
    assert found["total"] == 0

    # The receiving department does, with the clock waiting for its own acceptance.
    status, view = read(f"/cases/{case_id}", "mianyang", consistent_after=after)
    assert status == 200, view
    assert (view["department"], view["region_code"], view["status"]) == (
        "market-regulation",
        "510700",
        "submitted",
    )
    assert (view["accepted_on"], view["statutory_due"], view["overdue"]) == (None, None, False)
    assert [p["payment_id"] for p in view["payments"]] == [fee]
    (transfer,) = view["transfers"]
    assert transfer == {
        **transfer,
        "from_department": "market-regulation",
        "from_region_code": "510100",
        "region_code": "510700",
        "item_code": MIANYANG,
        "reason": "属地管辖",
    }
    assert view["timeline"][-1]["step"] == "CaseTransferred"
    _, worklist = read("/worklist", "mianyang", consistent_after=after)
    assert case_id in {c["case_id"] for c in worklist["items"]}
    _, found = read("/search", "mianyang", q=fee, type="payment", consistent_after=after)
    assert _ids(found) == {fee} and found["hits"][0]["department"] == "market-regulation"
    assert read(f"/cases/{case_id}", "health", consistent_after=after)[0] == 404

    # The receiving clerks conclude it: the licence is theirs.
    assert call("post", f"/cases/{case_id}/accept", "mianyang")[0] == 200
    settle = {"channel": "unionpay", "transaction_ref": "UP-TR-1", "amount_fen": FEE}
    assert call("post", f"/payments/{fee}/settle", "gateway", settle)[0] == 200
    status, decided = call("post", f"/cases/{case_id}/decide", "mianyang", {"outcome": "approved"})
    assert status == 200, decided
    number, done = decided["licence_number"], decided["position"]
    _, found = read("/search", "mianyang", q=number, consistent_after=done)
    assert found["consistent"] and number in _ids(found)
    _, found = read("/search", "chengdu", q=number, consistent_after=done)
    assert found["total"] == 0
    _, view = read(f"/cases/{case_id}", "mianyang", consistent_after=done)
    assert view["licence"]["licence_number"] == number and view["statutory_due"] is not None

    live.wait_caught_up()
    assert differences(app, live.read_models) == []
