"""Retention as readers see it, on real Kafka and Elasticsearch: a closed case's view shows its
archive; after the run, the case, its payment and its licence are tombstones in every read
model (no applicant, form or materials; the applicant no longer finds it; the licence verifies
as unknown), and the documents Elasticsearch serves hold none of the person's data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from django.test import Client

from api.auth import issue_dev_token
from domain.identifiers import make_resident_id
from tests.support.live import Live, live_casetrack
from tests.support.scenarios import item_terms

pytestmark = pytest.mark.integration

PERSON_ID = make_resident_id("510104", date(1988, 8, 8), 808)
APPLICANT = {"party_id": PERSON_ID, "kind": "person", "name": "赵小六"}
DESTROY, KEEP = "510100-XK-0R01", "510100-XK-0R02"
RULE = {"disposition": "destroy", "years": 1, "legal_basis": "《文书档案保管期限规定》"}
TOKENS = {
    "admin": issue_dev_token(role="admin", sub="admin-1"),
    "clerk": issue_dev_token(
        role="clerk", sub="clerk-7", department="market-regulation", region_code="510100"
    ),
    "auditor": issue_dev_token(role="auditor", sub="auditor-1"),
    "owner": issue_dev_token(role="citizen", sub="owner-1", party_id=PERSON_ID),
}
ADMIN = {"role": "admin", "subject": "admin-1"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
CITIZEN = {"role": "citizen", "subject": "owner-1", "channel": "web"}


def call(method: str, path: str, as_: str | None, body: Any = None, **params: Any) -> tuple:
    headers = {"Authorization": f"Bearer {TOKENS[as_]}"} if as_ else {}
    if method == "get":
        response = Client().get(f"/api/v1{path}", data=params, headers=headers)
    else:
        response = Client().post(
            f"/api/v1{path}",
            data=orjson.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )
    return response.status_code, orjson.loads(response.content) if response.content else None


@pytest.fixture(scope="module")
def live(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[tuple[Live, dict]]:
    with live_casetrack(
        tmp_path_factory.mktemp("retention"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="retention",
    ) as live:
        app = live.app
        terms = item_terms(fee_fen=100, licence_type="许可证", licence_valid_days=30)
        app.publish_item(code=DESTROY, actor=ADMIN, **{**terms, "retention": RULE})
        app.publish_item(
            code=KEEP,
            actor=ADMIN,
            **item_terms(name="备案", retention={"disposition": "permanent"}),
        )
        real = app.clock
        app.clock = lambda: real() - timedelta(days=800)
        try:
            materials = [
                {"code": "LICENCE", "document_ref": "oss://赵小六-营业执照.pdf"},
                {"code": "LAYOUT", "document_ref": "oss://layout.pdf"},
            ]
            form = {"联系电话": "13900139000"}
            due = app.submit_case(
                item_code=DESTROY,
                applicant=APPLICANT,
                channel="web",
                materials=materials,
                form=form,
                actor=CITIZEN,
            )["case_id"]
            fee = app.accept_case(case_id=due, actor=CLERK)["payment_id"]
            app.settle_payment(
                payment_id=fee,
                channel="unionpay",
                transaction_ref="T-R1",
                amount_fen=100,
                actor={"role": "gateway", "subject": "unionpay"},
            )
            licence = app.decide_case(case_id=due, outcome="approved", actor=CLERK)
            kept = app.submit_case(
                item_code=KEEP, applicant=APPLICANT, channel="web", actor=CITIZEN
            )["case_id"]
            app.withdraw_case(case_id=kept, actor=CITIZEN)
        finally:
            app.clock = real
        code = app.get_licence(licence["licence_number"]).verification_code
        live.wait_caught_up()
        yield (
            live,
            {
                "due": due,
                "kept": kept,
                "fee": fee,
                "licence": licence["licence_number"],
                "code": code,
            },
        )


def test_a_closed_case_shows_its_archive_and_after_the_run_only_its_tombstone(live):
    live_, made = live
    status, view = call("get", f"/cases/{made['due']}", "clerk")
    assert status == 200, view
    action_date = view["archive"]["action_date"]
    assert view["archive"]["disposition"] == "destroy" and view["destroyed"] is None
    status, kept = call("get", f"/cases/{made['kept']}", "clerk")
    assert status == 200 and kept["archive"] == {"disposition": "permanent", "action_date": None}

    status, run = call("post", "/retention/run", "admin")
    assert status == 200, run
    assert run["destroyed"] == [made["due"]] and run["count"] == 1

    status, view = call("get", f"/cases/{made['due']}", "clerk", consistent_after=run["position"])
    assert status == 200 and view["consistent"] is True
    assert view["status"] == "destroyed" and view["applicant"] is None
    assert view["materials"] == [] and view["closing_reason"] in ("", None)
    assert view["archive"] == {"disposition": "destroy", "action_date": action_date}
    assert view["destroyed"]["action_date"] == action_date
    assert view["destroyed"]["legal_basis"] == RULE["legal_basis"]
    assert view["licence"]["state"] == "unknown"
    assert [p["payment_id"] for p in view["payments"]] == [made["fee"]]

    # The tombstone names nobody: its applicant no longer finds it.
    assert call("get", f"/cases/{made['due']}", "owner")[0] == 404
    status, mine = call("get", "/me/cases", "owner")
    assert status == 200 and made["due"] not in [c["case_id"] for c in mine["items"]]
    status, verified = call("get", f"/licences/{made['licence']}/verify", None, code=made["code"])
    assert status == 200 and verified["state"] == "unknown" and verified["holder"] is None

    # What Elasticsearch serves of the three holds none of the person's data.
    client, prefix = live_.read_models.client, live_.prefix
    for alias, doc_id in (
        ("cases", made["due"]),
        ("payments", made["fee"]),
        ("licences", str(live_.app.get_licence(made["licence"]).id)),
    ):
        source = client.get(index=f"{prefix}-{alias}", id=doc_id)["_source"]
        raw = orjson.dumps(source)
        for personal in (PERSON_ID, APPLICANT["name"], "13900139000", "营业执照"):
            assert personal.encode() not in raw, (alias, personal)

    status, again = call("post", "/retention/run", "admin")
    assert status == 200 and again["destroyed"] == [] and again["count"] == 0
