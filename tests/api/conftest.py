"""HTTP tests of the command API against a real `Casetrack` on a temporary SQLite file.

No Elasticsearch or Kafka: the write side needs only the event store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from django.test import Client

from api import wiring
from api.auth import dev_subject, issue_dev_token
from domain.identifiers import make_credit_code, make_resident_id
from domain.services import Casetrack
from tests.support.scenarios import item_terms

PERSON = make_resident_id("510104", date(1990, 5, 1), 123)
OTHER_PERSON = make_resident_id("510105", date(1985, 3, 9), 456)
BUSINESS = make_credit_code("510100", "MA6CABCD")
APPLICANT = {"party_id": PERSON, "kind": "person", "name": "张小三"}
DEPARTMENT = "market-regulation"
ITEM = "510100-XK-0001"  # no fee, no licence
LICENSED = "510100-XK-0002"  # fee 5000 fen and a licence
FEE = 5000
ALL_MATERIALS = [
    {"code": "LICENCE", "document_ref": "doc-licence"},
    {"code": "LAYOUT", "document_ref": "doc-layout"},
]


def item_body(code: str = ITEM, **overrides: Any) -> dict:
    return {"code": code, **item_terms(**{"department": DEPARTMENT, **overrides})}


def token(role: str, sub: str | None = None, **claims: Any) -> str:
    if sub is None:
        party_id = claims.get("party_id")
        sub = dev_subject(role, party_id) if party_id else f"{role}-1"
    return issue_dev_token(role=role, sub=sub, **claims)


ADMIN = token("admin")
GATEWAY = token("gateway", "unionpay")
AUDITOR = token("auditor")
ANALYST = token("analyst")
CITIZEN = token("citizen", party_id=PERSON)
OTHER_CITIZEN = token("citizen", party_id=OTHER_PERSON)
CLERK = token("clerk", "clerk-7", department=DEPARTMENT, region_code="510100")
PROVINCE_CLERK = token("clerk", "clerk-p", department=DEPARTMENT, region_code="510000")
COUNTY_CLERK = token("clerk", "clerk-c", department=DEPARTMENT, region_code="510104")
OTHER_REGION_CLERK = token("clerk", "clerk-m", department=DEPARTMENT, region_code="510700")
OTHER_DEPARTMENT_CLERK = token(
    "clerk", "clerk-t", department="traffic-police", region_code="510100"
)


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any

    @property
    def problem(self) -> dict:
        assert self.headers["Content-Type"] == "application/problem+json", self.body
        return self.body


class Http:
    """A thin JSON client: `http.post(path, body, as_=TOKEN, key=...)`."""

    def __init__(self, app: Casetrack) -> None:
        self.client = Client()
        self.app = app

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        as_: str | None,
        key: str | None = None,
        raw: bytes | str | None = None,
    ) -> Answer:
        headers = {}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {as_}"
        if key is not None:
            headers["Idempotency-Key"] = key
        # The standard library encodes what orjson refuses (integers beyond 64 bits), as
        # a careless client would.
        data = (
            raw
            if raw is not None
            else (json.dumps(body, ensure_ascii=False) if body is not None else b"")
        )
        response = getattr(self.client, method)(
            f"/api/v1{path}", data=data, content_type="application/json", headers=headers
        )
        content = orjson.loads(response.content) if response.content else None
        return Answer(response.status_code, content, response.headers)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("post", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("put", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.call("delete", path, None, **kw)

    # --- builders for the tests -----------------------------------------------------

    def publish(self, code: str = ITEM, **overrides: Any) -> Answer:
        answer = self.post("/catalog/items", item_body(code, **overrides), as_=ADMIN)
        assert answer.status == 201, answer.body
        return answer

    def submit(
        self, code: str = ITEM, *, materials=ALL_MATERIALS, as_: str = CITIZEN, **overrides: Any
    ) -> dict:
        body = {
            "item_code": code,
            "applicant": APPLICANT,
            "channel": "web",
            "materials": materials,
            "form": {"shop_name": "蜀味"},
            **overrides,
        }
        answer = self.post("/cases", body, as_=as_)
        assert answer.status == 201, answer.body
        return answer.body

    def accepted(self, code: str = ITEM) -> dict:
        case = self.submit(code)
        answer = self.post(f"/cases/{case['case_id']}/accept", as_=CLERK)
        assert answer.status == 200, answer.body
        return answer.body

    def approved_licence(self) -> str:
        """A licence number, through acceptance, the gateway's settlement and approval."""
        case = self.accepted(LICENSED)
        settled = self.post(
            f"/payments/{case['payment_id']}/settle",
            {"channel": "unionpay", "transaction_ref": f"UP-{case['case_id']}", "amount_fen": FEE},
            as_=GATEWAY,
        )
        assert settled.status == 200, settled.body
        decided = self.post(f"/cases/{case['case_id']}/decide", {"outcome": "approved"}, as_=CLERK)
        assert decided.status == 200, decided.body
        return decided.body["licence_number"]


@pytest.fixture
def app(tmp_path, monkeypatch) -> Iterator[Casetrack]:
    application = Casetrack({"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"})
    monkeypatch.setattr(wiring, "application", lambda: application)
    yield application
    application.close()


@pytest.fixture
def http(app) -> Http:
    return Http(app)


@pytest.fixture
def catalogue(http) -> Http:
    """The API with two published items: ITEM (free) and LICENSED (a fee and a licence)."""
    http.publish(ITEM)
    http.publish(
        LICENSED,
        name="食品经营许可(含证照)",
        fee_fen=FEE,
        licence_type="食品经营许可证",
        licence_valid_days=1825,
    )
    return http
