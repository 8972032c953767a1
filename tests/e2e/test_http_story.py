"""The end-to-end story of a case, through HTTP only, against the real stack.

Every step is an HTTP request to the Django application (tokens from `POST /api/v1/dev/tokens`);
behind it, a temporary SQLite event store, a relay publishing to real Kafka and projectors
writing real Elasticsearch indices under a prefix of this run (tests/live.py). The story: an
admin publishes an item with a fee and a licence type; a citizen applies on the web with a
material missing; the clerk asks for it, the citizen supplements it; the clerk accepts (the
fee is requested) and takes the case; it heads the clerk's worklist; approval before payment
is refused; the gateway settles twice with one transaction ref (one settlement); approval
issues a licence; the citizen finds case and licence by their numbers; public verification
says valid, then revoked after the clerk revokes it; the auditor reads the history and
verifies the chain; the analyst counts the case in the department.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import orjson
import pytest
from django.test import Client

from domain.identifiers import make_resident_id
from tests.support.live import live_casetrack

pytestmark = pytest.mark.integration

DEPARTMENT = "market-regulation"
REGION = "510100"
FEE = 8800
CITIZEN_ID = make_resident_id("510104", date(1992, 7, 14), 321)
NEIGHBOUR_ID = make_resident_id("510105", date(1980, 1, 2), 654)
CLERK_SUB = "clerk-e2e"


class Http:
    """JSON over Django's test client; every call names who makes it."""

    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[str, str] = {}

    def sign_in(self, who: str, **claims: Any) -> None:
        response = self.client.post(
            "/api/v1/dev/tokens", data=orjson.dumps(claims), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        self.tokens[who] = orjson.loads(response.content)["token"]

    def _headers(self, who: str | None, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, who: str | None = None, **params: Any) -> tuple[int, Any]:
        response = self.client.get(f"/api/v1{path}", data=params, headers=self._headers(who))
        return response.status_code, orjson.loads(response.content)

    def post(
        self, path: str, body: dict | None, who: str, key: str | None = None
    ) -> tuple[int, Any]:
        response = self.client.post(
            f"/api/v1{path}",
            data=orjson.dumps(body or {}),
            content_type="application/json",
            headers=self._headers(who, key),
        )
        return response.status_code, orjson.loads(response.content)


@pytest.fixture(scope="module")
def http(tmp_path_factory, kafka_bootstrap, es_url):
    with live_casetrack(
        tmp_path_factory.mktemp("story"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="story",
    ) as live:
        client = Http()
        client.sign_in("admin", role="admin", sub="admin-e2e")
        client.sign_in("citizen", role="citizen", party_id=CITIZEN_ID)
        client.sign_in("neighbour", role="citizen", party_id=NEIGHBOUR_ID)
        client.sign_in(
            "clerk", role="clerk", sub=CLERK_SUB, department=DEPARTMENT, region_code=REGION
        )
        client.sign_in("gateway", role="gateway", sub="unionpay")
        client.sign_in("auditor", role="auditor", sub="auditor-e2e")
        client.sign_in("analyst", role="analyst", sub="analyst-e2e")
        client.live = live
        yield client


def _item(code: str) -> dict:
    return {
        "code": code,
        "name": "食品经营许可",
        "item_type": "administrative_licence",
        "department": DEPARTMENT,
        "level": "city",
        "region_code": REGION,
        "conditions": "有与经营食品相适应的场所",
        "materials": [
            {"code": "LICENCE", "name": "营业执照", "required": True},
            {"code": "LAYOUT", "name": "经营场所平面图", "required": True},
        ],
        "steps": ["申请", "受理", "审查", "决定"],
        "statutory_days": 20,
        "promised_days": 5,
        "fee_fen": FEE,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "licence_type": "食品经营许可证",
        "licence_valid_days": 1825,
    }


def test_the_whole_story_of_a_licence_over_http(http):
    code = f"{REGION}-XK-{uuid4().hex[:6].upper()}"

    # The admin publishes an item with a fee and a licence type.
    status, published = http.post("/catalog/items", _item(code), "admin")
    assert status == 201, published
    status, listed = http.get(f"/catalog/items/{code}", consistent_after=published["position"])
    assert (
        status == 200
        and listed["consistent"] is True
        and listed["fee_fen"] == FEE
        and listed["licence_type"] == "食品经营许可证"
    ), listed

    # A citizen applies on the web, without the floor plan; a neighbour applies too (stays waiting).
    applicant = {"party_id": CITIZEN_ID, "kind": "person", "name": "王小明"}
    status, submitted = http.post(
        "/cases",
        {
            "item_code": code,
            "applicant": applicant,
            "channel": "web",
            "materials": [{"code": "LICENCE", "document_ref": "doc-licence"}],
            "form": {"shop_name": "蜀味小馆"},
        },
        "citizen",
    )
    assert status == 201 and submitted["status"] == "submitted", submitted
    case_id, case_number = submitted["case_id"], submitted["case_number"]
    status, waiting = http.post(
        "/cases",
        {
            "item_code": code,
            "channel": "web",
            "materials": [],
            "applicant": {"party_id": NEIGHBOUR_ID, "kind": "person", "name": "赵四"},
        },
        "neighbour",
    )
    assert status == 201, waiting

    # Accepting with a required material missing is refused; the clerk asks for it.
    status, refused = http.post(f"/cases/{case_id}/accept", None, "clerk")
    assert status == 409, refused
    status, requested = http.post(
        f"/cases/{case_id}/request-materials",
        {"codes": ["LAYOUT"], "note": "请补充经营场所平面图"},
        "clerk",
    )
    assert (status, requested["status"]) == (200, "materials_requested"), requested
    status, supplemented = http.post(
        f"/cases/{case_id}/supplement-materials",
        {"materials": [{"code": "LAYOUT", "document_ref": "doc-layout"}]},
        "citizen",
    )
    assert (status, supplemented["status"]) == (200, "submitted"), supplemented

    # The clerk accepts (the fee is requested) and takes the case.
    status, accepted = http.post(
        f"/cases/{case_id}/accept", {"expected_version": supplemented["version"]}, "clerk"
    )
    assert (status, accepted["status"]) == (200, "accepted"), accepted
    payment_id = accepted["payment_id"]
    assert payment_id
    status, assigned = http.post(f"/cases/{case_id}/assign", {"clerk_sub": CLERK_SUB}, "clerk")
    assert status == 200, assigned

    # It heads the clerk's worklist (the neighbour's unaccepted case has no due day yet: last).
    status, worklist = http.get("/worklist", "clerk", consistent_after=assigned["position"])
    assert status == 200 and worklist["consistent"] is True, worklist
    assert [i["case_id"] for i in worklist["items"]] == [case_id, waiting["case_id"]]
    assert worklist["items"][0]["assigned_to"] == CLERK_SUB
    _, mine = http.get("/worklist", "clerk", assigned_to="me")
    assert [i["case_id"] for i in mine["items"]] == [case_id]

    # Approval before the fee is paid is refused, and appends nothing.
    status, early = http.post(f"/cases/{case_id}/decide", {"outcome": "approved"}, "clerk")
    assert status == 409, early
    assert http.live.app.max_position() == assigned["position"]

    # The gateway settles the fee twice with the same transaction ref: one settlement.
    settlement = {
        "channel": "unionpay",
        "transaction_ref": f"UP-{uuid4().hex[:12]}",
        "amount_fen": FEE,
    }
    status, settled = http.post(f"/payments/{payment_id}/settle", settlement, "gateway")
    assert (status, settled["status"]) == (200, "settled"), settled
    status, again = http.post(f"/payments/{payment_id}/settle", settlement, "gateway")
    assert (status, again) == (200, settled)
    assert http.live.app.max_position() == settled["position"]

    # The clerk approves; a licence is issued.
    status, decided = http.post(
        f"/cases/{case_id}/decide",
        {"outcome": "approved", "reasons": "符合条件", "legal_basis": "《食品安全法》第三十五条"},
        "clerk",
    )
    assert (status, decided["status"]) == (200, "approved"), decided
    licence_number = decided["licence_number"]
    assert licence_number

    # The citizen finds the case by its number: status, timeline and licence.
    status, view = http.get(
        f"/cases/{case_number}", "citizen", consistent_after=decided["position"]
    )
    assert status == 200 and view["consistent"] is True, view
    assert (view["case_id"], view["status"], view["version"]) == (
        case_id,
        "approved",
        decided["version"],
    )
    steps = [s["step"] for s in view["timeline"]]
    assert steps[:4] == [
        "CaseSubmitted",
        "CaseMaterialsRequested",
        "CaseMaterialsSupplemented",
        "CaseAccepted",
    ]
    assert "CaseDecided" in steps
    assert (view["licence"]["licence_number"], view["licence"]["state"]) == (
        licence_number,
        "valid",
    )
    assert [(p["payment_id"], p["status"], p["paid_fen"]) for p in view["payments"]] == [
        (payment_id, "settled", FEE)
    ]
    status, found = http.get(
        "/search", "citizen", q=case_number, consistent_after=decided["position"]
    )
    assert status == 200 and found["consistent"] is True
    assert (found["hits"][0]["type"], found["hits"][0]["id"]) == ("case", case_id)

    # ... and the licence by its number.
    status, found = http.get(
        "/search", "citizen", q=licence_number, consistent_after=decided["position"]
    )
    assert status == 200 and found["consistent"] is True
    assert (found["hits"][0]["type"], found["hits"][0]["id"], found["hits"][0]["status"]) == (
        "licence",
        licence_number,
        "active",
    )
    _, licences = http.get("/me/licences", "citizen", consistent_after=decided["position"])
    assert [i["licence_number"] for i in licences["items"]] == [licence_number]
    # The holder's view carries the verification code printed on the licence and in its QR.
    code = licences["items"][0]["verification_code"]
    assert code and f"code={code}" in licences["items"][0]["verify_url"]
    # The neighbour finds neither.
    assert http.get(f"/cases/{case_number}", "neighbour")[0] == 404
    assert all(
        h["id"] not in (case_id, licence_number)
        for q in (case_number, licence_number)
        for h in http.get("/search", "neighbour", q=q)[1]["hits"]
    )

    # Public verification (no token) needs the code; without it the licence is unknown.
    status, unverified = http.get(f"/licences/{licence_number}/verify")
    assert (status, unverified["state"]) == (200, "unknown"), unverified
    # With it: valid, with the holder masked.
    status, verified = http.get(f"/licences/{licence_number}/verify", code=code)
    assert (status, verified["state"], verified["holder"]["name"]) == (200, "valid", "王*明"), (
        verified
    )

    # The clerk revokes it; verification says revoked.
    status, revoked = http.post(
        f"/licences/{licence_number}/revoke", {"reason": "以欺骗手段取得许可"}, "clerk"
    )
    assert status == 200, revoked
    status, verified = http.get(
        f"/licences/{licence_number}/verify", code=code, consistent_after=revoked["position"]
    )
    assert (status, verified["consistent"], verified["state"]) == (200, True, "revoked"), verified

    # The auditor reads the case's full history from the event store and verifies the chain.
    status, history = http.get(f"/audit/streams/{case_id}/events", "auditor")
    assert status == 200, history
    events = history["items"]
    assert [e["event_type"] for e in events] == steps
    assert [e["version"] for e in events] == list(range(1, decided["version"] + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    assert events[0]["data"]["applicant"]["name"] == "王*明"
    _, payment_history = http.get(f"/audit/streams/{payment_id}/events", "auditor")
    assert [e["event_type"] for e in payment_history["items"]].count("PaymentSettled") == 1
    status, chain = http.get("/audit/verify", "auditor", aggregate_id=case_id)
    assert (status, chain["ok"], chain["checked"]) == (200, True, decided["version"]), chain
    status, everything = http.get("/audit/verify", "auditor")
    assert (status, everything["ok"], everything["broken"]) == (200, True, []), everything
    assert everything["checked"] == http.live.app.max_position()

    # The analyst sees the case in the department's counts.
    status, counts = http.get(
        "/analytics/cases", "analyst", group_by="department", consistent_after=revoked["position"]
    )
    assert status == 200 and counts["consistent"] is True, counts
    group = next(g for g in counts["groups"] if g["group"] == DEPARTMENT)
    assert (group["submitted"], group["decided"], group["approved"], group["open"]) == (
        2,
        1,
        1,
        1,
    ), group
    _, revenue = http.get(
        "/analytics/revenue",
        "analyst",
        group_by="department",
        interval="day",
        consistent_after=revoked["position"],
    )
    assert next(g for g in revenue["groups"] if g["group"] == DEPARTMENT)["paid_fen"] == FEE
