"""Reconciliation with the payment gateways over HTTP, on real Kafka and Elasticsearch.

One world per module: payments settled and refunded around one day in Asia/Shanghai (one at
23:59:59, one at 00:00:00 the next day, two partial refunds of an older payment, one the file
forgets, one paid through another gateway), relayed and projected by in-process threads. The
gateway then sends its statement (with a duplicate line and a transaction Casetrack never saw),
finance resolves the exceptions, a corrected file supersedes the first, and the daily report
and the audit trail show it (docs/api.md, "Reconciliation").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import orjson
import pytest
from django.test import Client

from api.auth import issue_dev_token
from domain.model.reconciliation import reconciliation_id
from domain.model.statement import HEADER
from tests.support.live import live_casetrack
from tests.support.scenarios import CLERK, PERSON, PERSON_ID, item_terms

pytestmark = pytest.mark.integration

SHANGHAI = timezone(timedelta(hours=8))
DAY = date(2026, 3, 1)
NEXT = DAY + timedelta(days=1)
ITEM = "510100-XK-0001"
TOKENS = {
    "gateway": issue_dev_token(role="gateway", sub="unionpay"),
    "finance": issue_dev_token(role="finance", sub="finance-1"),
    "auditor": issue_dev_token(role="auditor", sub="auditor-1"),
    "analyst": issue_dev_token(role="analyst", sub="analyst-1"),
    "clerk": issue_dev_token(
        role="clerk", sub="clerk-7", department="market-regulation", region_code="510100"
    ),
}


def shanghai(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def statement(*rows: str) -> bytes:
    return ("\n".join([",".join(HEADER), *rows]) + "\n").encode()


@dataclass
class World:
    app: Any
    live: Any
    payments: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, as_: str | None, *, body: Any = None, **params):
        headers = {"Authorization": f"Bearer {TOKENS[as_]}"} if as_ else {}
        client = Client()
        if method == "get":
            response = client.get(f"/api/v1{path}", data=params, headers=headers)
        elif isinstance(body, bytes):
            query = "&".join(f"{k}={v}" for k, v in params.items())
            response = client.post(
                f"/api/v1{path}?{query}", data=body, content_type="text/csv", headers=headers
            )
        else:
            response = client.post(
                f"/api/v1{path}",
                data=orjson.dumps(body or {}),
                content_type="application/json",
                headers=headers,
            )
        content = orjson.loads(response.content) if response.content else None
        return response.status_code, content, response

    def paid(self, name: str, amount_fen: int, when: datetime, *, gateway="unionpay", fee=30):
        """A charge against a new case, settled by `gateway` at `when`."""
        app = self.app
        real = app.clock
        app.clock = lambda: when - timedelta(hours=1)
        try:
            case = app.submit_case(
                item_code=ITEM,
                applicant=PERSON,
                channel="web",
                actor={"role": "citizen", "subject": PERSON_ID},
            )
            payment_id = app.request_charge(
                amount_fen=amount_fen,
                payer_party_id=PERSON_ID,
                due_date=when.date() + timedelta(days=10),
                case_id=case["case_id"],
                actor=CLERK,
            )["payment_id"]
            app.clock = lambda: when
            app.settle_payment(
                payment_id=payment_id,
                channel=gateway,
                transaction_ref=f"T-{name}",
                amount_fen=amount_fen,
                fee_fen=fee,
                actor={"role": "gateway", "subject": gateway, "channel": gateway},
            )
        finally:
            app.clock = real
        self.payments[name] = payment_id
        return payment_id

    def refund(self, name: str, amount_fen: int, when: datetime) -> None:
        real = self.app.clock
        self.app.clock = lambda: when
        try:
            self.app.refund_payment(
                payment_id=self.payments[name], amount_fen=amount_fen, reason="多收", actor=CLERK
            )
        finally:
            self.app.clock = real


@pytest.fixture(scope="module")
def world(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[World]:
    with live_casetrack(
        tmp_path_factory.mktemp("reconciliations"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="reconcile",
    ) as live:
        world = World(app=live.app, live=live)
        live.app.publish_item(code=ITEM, actor={"role": "admin", "subject": "a"}, **item_terms())
        world.paid("LATE", 5000, shanghai(DAY, 23, 59, 59))
        world.paid("MIDNIGHT", 3000, shanghai(NEXT, 0, 0, 0))
        world.paid("OLD", 8000, shanghai(DAY - timedelta(days=3), 9), fee=None)
        world.refund("OLD", 1000, shanghai(DAY, 9))
        world.refund("OLD", 2000, shanghai(DAY, 15))
        world.paid("FORGOTTEN", 700, shanghai(DAY, 11))
        world.paid("ALIPAY", 1200, shanghai(DAY, 10), gateway="alipay", fee=5)
        live.wait_caught_up()
        yield world


FIRST = statement(
    "T-LATE,,pay,5000,30,2026-03-01T23:59:59+08:00",
    "T-MIDNIGHT,,pay,3000,30,2026-03-02T00:00:00+08:00",
    "T-OLD,,refund,1000,0,2026-03-01T09:00:00+08:00",
    "T-OLD,,refund,2000,0,2026-03-01T15:00:00+08:00",
    "T-LATE,,pay,5000,30,2026-03-01T23:59:59+08:00",
    "T-GHOST,,pay,4200,25,2026-03-01T13:00:00+08:00",
)


@pytest.fixture(scope="module")
def first(world) -> dict:
    status, body, _ = world.call("post", "/reconciliations", "gateway", body=FIRST, date=DAY)
    assert status == 201, body
    return body


def test_a_statement_is_matched_with_every_kind_of_exception(world, first):
    assert first["reconciliation_id"] == str(reconciliation_id("unionpay", DAY, 1))
    assert (first["date"], first["status"], first["lines"], first["matched"]) == (
        "2026-03-01",
        "open",
        6,
        3,
    )
    found = [(e["kind"], e["transaction_ref"], e["line"]) for e in first["exceptions"]]
    assert found == [
        ("missing_in_casetrack", "T-MIDNIGHT", 3),  # Casetrack has it on the next day
        ("duplicate", "T-LATE", 6),
        ("missing_in_casetrack", "T-GHOST", 7),
        ("missing_in_file", "T-FORGOTTEN", None),
    ]
    assert first["exceptions"][3]["payment_id"] == world.payments["FORGOTTEN"]
    assert first["totals"] == {
        "paid_fen": 17200,
        "refunded_fen": 3000,
        "fees_fen": 115,
        "net_fen": 17200 - 3000 - 115,
    }


def test_the_same_file_again_answers_the_first_reconciliation(world, first):
    before = world.app.max_position()
    status, body, response = world.call("post", "/reconciliations", "gateway", body=FIRST, date=DAY)
    assert status == 200 and response["Idempotent-Replayed"] == "true"
    assert body["reconciliation_id"] == first["reconciliation_id"]
    assert body["exceptions"] == first["exceptions"] and body["position"] == first["position"]
    assert world.app.max_position() == before


@pytest.mark.parametrize(
    ("query", "data", "field"),
    [
        ({"date": "2026-02-30"}, FIRST, "date"),
        ({}, FIRST, "date"),
        ({"date": DAY}, b"transaction_ref,amount\n", "line 1: header"),
        (  # 3 MB: past Django's 2.5 MB for `request.body`, and past the 50,000 lines
            {"date": DAY},
            statement(*["T-1,,pay,5000,30,2026-03-01T10:00:00+08:00"] * 70_000),
            "line 50002: lines",
        ),
        (
            {"date": DAY},
            statement("T-1,,pay,5000,30,2026-03-01T10:00:00+08:00", "T-2,,pay,0,0,x"),
            "line 3: amount_fen",
        ),
    ],
)
def test_a_malformed_statement_is_422_and_records_nothing(world, first, query, data, field):
    before = world.app.max_position()
    status, body, response = world.call("post", "/reconciliations", "gateway", body=data, **query)
    assert status == 422 and response["Content-Type"] == "application/problem+json", body
    assert field in [e["field"] for e in body["errors"]]
    assert world.app.max_position() == before


def test_roles_that_may_not_call_are_403_and_record_nothing(world, first):
    before = world.app.max_position()
    for role in ("finance", "auditor", "clerk"):
        status, _, _ = world.call("post", "/reconciliations", role, body=FIRST, date=DAY)
        assert status == 403
    assert world.call("post", "/reconciliations", None, body=FIRST, date=DAY)[0] == 401
    for role in ("gateway", "analyst", "clerk"):
        assert world.call("get", "/reconciliations", role)[0] == 403
    for role in ("gateway", "auditor", "clerk"):
        assert world.call("get", "/finance/daily", role, date=DAY)[0] == 403
    path = f"/reconciliations/{first['reconciliation_id']}/exceptions/E1/resolve"
    for role in ("gateway", "auditor"):
        answer = world.call("post", path, role, body={"resolution": "written_off", "reason": "x"})
        assert answer[0] == 403
    assert world.app.max_position() == before


def test_finance_resolves_exceptions_a_new_file_supersedes_and_audit_replays_it(world, first):
    rid = first["reconciliation_id"]
    path = f"/reconciliations/{rid}/exceptions"
    bad = world.call("post", f"{path}/E1/resolve", "finance", body={"resolution": "lost"})
    assert bad[0] == 422
    missing = world.call(
        "post", f"{path}/E99/resolve", "finance", body={"resolution": "written_off", "reason": "x"}
    )
    assert missing[0] == 404
    for exception_id, resolution in (
        ("E1", "gateway_corrected"),
        ("E2", "gateway_corrected"),
        ("E3", "refund_requested"),
    ):
        status, body, _ = world.call(
            "post",
            f"{path}/{exception_id}/resolve",
            "finance",
            body={"resolution": resolution, "reason": "渠道更正"},
        )
        assert status == 200, body
    assert (body["status"], body["open_exceptions"]) == ("open", 1)
    again = world.call(
        "post", f"{path}/E1/resolve", "finance", body={"resolution": "written_off", "reason": "x"}
    )
    assert again[0] == 409

    status, view, _ = world.call(
        "get", f"/reconciliations/{rid}", "auditor", consistent_after=body["position"]
    )
    assert status == 200 and view["consistent"], view
    assert view["status"] == "open" and view["exceptions"][0]["resolution"]["by"] == "finance-1"

    corrected = statement(
        "T-LATE,,pay,5000,30,2026-03-01T23:59:59+08:00",
        f"T-OLD,{world.payments['OLD']},refund,1000,0,2026-03-01T09:00:00+08:00",
        "T-OLD,,refund,2000,0,2026-03-01T15:00:00+08:00",
        "T-FORGOTTEN,,pay,700,30,2026-03-01T11:00:00+08:00",
    )
    status, second, _ = world.call("post", "/reconciliations", "gateway", body=corrected, date=DAY)
    assert status == 201, second
    assert (second["status"], second["matched"], second["supersedes"]) == ("reconciled", 4, rid)

    status, page, _ = world.call(
        "get", "/reconciliations", "finance", date=DAY, consistent_after=second["position"]
    )
    assert status == 200 and page["consistent"]
    assert [(i["sequence"], i["status"]) for i in page["items"]] == [
        (2, "reconciled"),
        (1, "superseded"),
    ]
    superseded = world.call("get", "/reconciliations", "auditor", status="superseded")[1]
    assert [i["reconciliation_id"] for i in superseded["items"]] == [rid]
    late = world.call(
        "post", f"{path}/E4/resolve", "finance", body={"resolution": "written_off", "reason": "x"}
    )
    assert late[0] == 409

    status, events, _ = world.call("get", f"/audit/streams/{rid}/events", "auditor")
    assert status == 200
    assert [e["event_type"] for e in events["items"]] == [
        "ReconciliationRecorded",
        *["ReconciliationExceptionResolved"] * 3,
        "ReconciliationSuperseded",
    ]
    assert UUID(events["items"][-1]["data"]["by"]) == UUID(second["reconciliation_id"])

    # The day per department: money received, refunds and fees, and whether it is reconciled.
    status, daily, _ = world.call(
        "get", "/finance/daily", "finance", date=DAY, consistent_after=second["position"]
    )
    assert status == 200 and daily["consistent"], daily
    [row] = daily["departments"]
    assert row == {
        "department": "market-regulation",
        "received_fen": {"fee": 0, "fine": 0, "charge": 5000 + 700 + 1200},
        "refunded_fen": 3000,
        "gateway_fees_fen": 30 + 30 + 5,
        "net_fen": 6900 - 3000 - 65,
        "gateways": ["alipay", "unionpay"],
        "reconciled": False,
    }
    assert [(g["gateway"], g["reconciled"]) for g in daily["gateways"]] == [
        ("alipay", False),
        ("unionpay", True),
    ]
    assert daily["reconciled"] is False
    next_day = world.call("get", "/finance/daily", "analyst", date=NEXT)[1]
    assert next_day["departments"][0]["received_fen"]["charge"] == 3000


def test_an_idempotency_key_answers_the_stored_result_and_refuses_another_file(world):
    midnight = statement("T-MIDNIGHT,,pay,3000,30,2026-03-02T00:00:00+08:00")
    headers = {"HTTP_IDEMPOTENCY_KEY": "statement-2026-03-02"}

    def send(data: bytes):
        return Client().post(
            f"/api/v1/reconciliations?date={NEXT}",
            data=data,
            content_type="text/csv",
            headers={"Authorization": f"Bearer {TOKENS['gateway']}"},
            **headers,
        )

    first = send(midnight)
    assert first.status_code == 201, first.content
    assert orjson.loads(first.content)["status"] == "reconciled"
    again = send(midnight)  # the same file: its reconciliation, whatever the key
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert orjson.loads(again.content) == {**orjson.loads(first.content)}
    before = world.app.max_position()
    other = send(statement("T-MIDNIGHT,,pay,3001,30,2026-03-02T00:00:00+08:00"))
    assert other.status_code == 422
    assert orjson.loads(other.content)["errors"][0]["field"] == "Idempotency-Key"
    assert world.app.max_position() == before
