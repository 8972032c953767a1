"""No personal data leaks through the access log, and the licence register cannot be walked
(docs/api.md, "Access log" and "Licences"), over HTTP against real Kafka and Elasticsearch.

One world for the module: a licensed item, a person's and a business's approved cases (each
with its licence), relayed and projected by in-process threads under a prefix of our own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import pytest
from django.test import Client

from api.auth import dev_subject, issue_dev_token
from consumers.topics import Topics
from domain.identifiers import make_resident_id, mask_id
from domain.model.licence import licence_id
from domain.privacy.refs import DEV_BLIND_INDEX_KEY, BlindIndex
from domain.store.access_log import _tables, find_access
from tests.support.live import live_casetrack
from tests.support.processes import read_topic
from tests.support.scenarios import BUSINESS, CLERK, MATERIALS, PERSON, PERSON_ID, item_terms
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration

DEPARTMENT = "market-regulation"
ITEM = "510100-XK-DOOR01"
BUSINESS_ID = BUSINESS["party_id"]
REPRESENTATIVE = make_resident_id("510105", date(1985, 3, 9), 456)
CO_REPRESENTATIVE = make_resident_id("510106", date(1979, 7, 21), 789)
STAFF_WITH_ID_SUB = make_resident_id("510107", date(1988, 2, 2), 246)
PARTITIONS = 2


@dataclass
class World:
    live: Any
    kafka_bootstrap: str
    person_case: str = ""
    person_licence: str = ""
    business_case: str = ""
    business_licence: str = ""
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def app(self):
        return self.live.app

    def get(self, path: str, as_: str | None = None, **params: Any) -> tuple[int, Any, bytes]:
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}
        response = Client().get(f"/api/v1{path}", data=params, headers=headers)
        body = orjson.loads(response.content) if response.content else None
        return response.status_code, body, response.content

    def code(self, number: str) -> str:
        return self.app.get_licence(number).verification_code

    def access_rows(self) -> list[dict]:
        entries, _ = _tables(self.app.store)
        with self.app.store.read_cursor() as cursor:
            cursor.execute(f"SELECT * FROM {entries}")
            return [dict(r) for r in cursor.fetchall()]


def _tokens() -> dict[str, str]:
    clerk = {"department": DEPARTMENT, "region_code": "510100"}
    return {
        "owner": issue_dev_token(
            role="citizen", sub=dev_subject("citizen", PERSON_ID), party_id=PERSON_ID
        ),
        "representative": issue_dev_token(role="citizen", sub=REPRESENTATIVE, party_id=BUSINESS_ID),
        "co_representative": issue_dev_token(
            role="citizen", sub=CO_REPRESENTATIVE, party_id=BUSINESS_ID
        ),
        "clerk": issue_dev_token(role="clerk", sub="clerk-7", **clerk),
        "id_clerk": issue_dev_token(role="clerk", sub=STAFF_WITH_ID_SUB, **clerk),
        "other_department_clerk": issue_dev_token(
            role="clerk", sub="clerk-t", department="traffic-police", region_code="510100"
        ),
        "auditor": issue_dev_token(role="auditor", sub="auditor-1"),
        "analyst": issue_dev_token(role="analyst", sub="analyst-1"),
        "admin": issue_dev_token(role="admin", sub="admin-1"),
    }


def _approved(app, applicant: dict) -> tuple[str, str]:
    case = app.submit_case(
        item_code=ITEM, applicant=applicant, channel="hall", actor=CLERK, materials=MATERIALS
    )["case_id"]
    app.accept_case(case_id=case, actor=CLERK)
    decided = app.decide_case(case_id=case, outcome="approved", actor=CLERK)
    return str(case), decided["licence_number"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[World]:
    with live_casetrack(
        tmp_path_factory.mktemp("door"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="door",
        partitions=PARTITIONS,
    ) as live:
        app = live.app
        app.publish_item(
            code=ITEM,
            actor={"role": "admin", "subject": "admin-1"},
            **item_terms(licence_type="食品经营许可证", licence_valid_days=1825),
        )
        world = World(live=live, kafka_bootstrap=kafka_bootstrap, tokens=_tokens())
        world.person_case, world.person_licence = _approved(app, PERSON)
        world.business_case, world.business_licence = _approved(app, BUSINESS)
        live.wait_caught_up()
        yield world


def _wait_access_projected(world: World, position: int) -> None:
    wait_until(
        lambda: world.live.read_models.watermark("access", PARTITIONS) >= position,
        timeout_s=90,
        interval_s=0.2,
        what="the access log to reach its index",
    )


# ------------------------------------------------------------------ the access log


def test_staff_find_a_person_by_full_identity_number_and_the_log_keeps_only_its_last_four(world):
    status, found, _ = world.get("/search", "clerk", q=PERSON_ID)
    assert status == 200 and world.person_case in [h["id"] for h in found["hits"]]
    status, by_name, _ = world.get("/search", "clerk", q="张小三")
    assert status == 200

    masked_id = "*" * 14 + PERSON_ID[-4:]
    _, [by_name_entry, by_id_entry] = find_access(world.app.store, sub="clerk-7", limit=2)
    assert (by_id_entry.query, by_name_entry.query) == (masked_id, "张*三")

    # The auditor filters by the whole party id and sees only masked queries and parties.
    status, audit, raw = world.get(
        "/audit/access-log", "auditor", party_id=PERSON_ID, sub="clerk-7"
    )
    assert status == 200 and audit["total"] >= 1
    assert masked_id in [e["query"] for e in audit["items"]]
    assert PERSON_ID.encode() not in raw and "张小三".encode() not in raw

    # Nor the table, the topic or the index holds the plaintext.
    for row in world.access_rows():
        assert PERSON_ID not in row["query"] + row["party_ids"] and "张小三" not in row["query"]
    _wait_access_projected(world, by_name_entry.position)
    relayed, _ = read_topic(world.kafka_bootstrap, Topics(world.live.prefix).access)
    assert by_id_entry.position in [m["position"] for m in relayed]
    assert PERSON_ID.encode() not in orjson.dumps(relayed)
    alias = world.live.read_models.names.alias("access")
    world.live.read_models.refresh(alias)
    indexed = world.live.read_models.client.search(index=alias, size=1000)["hits"]["hits"]
    assert masked_id in [h["_source"]["query"] for h in indexed]
    assert PERSON_ID.encode() not in orjson.dumps([h["_source"] for h in indexed])
    assert "张小三".encode() not in orjson.dumps([h["_source"] for h in indexed])


def test_a_citizen_sees_who_read_their_records_without_other_peoples_identity_numbers(world):
    assert world.get("/search", "representative", type="licence")[0] == 200
    assert world.get(f"/cases/{world.business_case}", "id_clerk")[0] == 200
    assert world.get(f"/cases/{world.business_case}", "clerk")[0] == 200

    status, log, raw = world.get("/me/access-log", "co_representative", size=100)
    assert status == 200
    subs = {(e["role"], e["sub"]) for e in log["items"]}
    # A citizen's sub is kept as its blind ref (it may be a personal identifier), then masked.
    representative_ref = BlindIndex(DEV_BLIND_INDEX_KEY).sub_ref(REPRESENTATIVE)
    assert ("citizen", mask_id(representative_ref)) in subs
    assert ("clerk", "*" * 14 + STAFF_WITH_ID_SUB[-4:]) in subs
    assert ("clerk", "clerk-7") in subs, "a staff handle is what the holder is promised"
    for personal in (REPRESENTATIVE, STAFF_WITH_ID_SUB, CO_REPRESENTATIVE):
        assert personal.encode() not in raw

    # The auditor still filters by the whole sub; the answer masks it.
    _, audit, raw = world.get("/audit/access-log", "auditor", sub=REPRESENTATIVE)
    assert audit["total"] >= 1 and REPRESENTATIVE.encode() not in raw


# ------------------------------------------------------------------ licence verification


def _verify(world: World, number: str, **params: Any) -> tuple[int, dict]:
    status, body, _ = world.get(f"/licences/{number}/verify", **params)
    body.pop("checked_at")
    return status, body


def test_a_licence_verifies_only_with_its_code(world):
    number, code = world.person_licence, world.code(world.person_licence)
    status, genuine = _verify(world, number, code=code)
    assert (status, genuine["state"], genuine["holder"]["name"]) == (200, "valid", "张*三")
    assert genuine["verify_url"].endswith(f"/api/v1/licences/{number}/verify?code={code}")
    typed = _verify(world, number, code=f"{code[:6].lower()} {code[6:]}")[1]
    assert typed["state"] == "valid"


def test_a_missing_or_wrong_code_answers_exactly_like_an_unknown_number(world):
    number, code = world.person_licence, world.code(world.person_licence)
    unknown_number = number[:-8] + "99999999"
    answers = {
        "missing": _verify(world, number),
        "wrong": _verify(world, number, code="ABCDEFGHJKMN"),
        "another licence's": _verify(world, number, code=world.code(world.business_licence)),
        "too short": _verify(world, number, code=code[:-1]),
    }
    status, unknown = _verify(world, unknown_number, code=code)
    expected = orjson.loads(orjson.dumps(unknown).replace(unknown_number.encode(), number.encode()))
    assert status == 200 and unknown["state"] == "unknown" and unknown["holder"] is None
    for why, answer in answers.items():
        assert answer == (200, expected), why

    # Logged like any verification, concerning the holder; the code itself never is.
    # The log keeps the holder as their blind ref.
    _, entries = find_access(
        world.app.store, party_id=world.app.keyring.party_ref(PERSON_ID), limit=1000
    )
    queries = {e.query for e in entries if e.role == "public"}
    assert {f"{number} code:missing", f"{number} code:wrong"} <= queries
    assert not any(code in row["query"] for row in world.access_rows())


def test_only_the_holder_and_the_issuing_department_see_the_code(world):
    number, code = world.person_licence, world.code(world.person_licence)
    _, mine, _ = world.get("/me/licences", "owner")
    [item] = [i for i in mine["items"] if i["licence_number"] == number]
    assert item["verification_code"] == code
    assert item["verify_url"].endswith(f"/api/v1/licences/{number}/verify?code={code}")
    path = item["verify_url"].split("/api/v1", 1)[1]
    assert orjson.loads(Client().get(f"/api/v1{path}").content)["state"] == "valid"

    for who, sees in (("owner", True), ("clerk", True), ("auditor", False), ("analyst", False)):
        status, view, raw = world.get(f"/cases/{world.person_case}", who)
        assert status == 200
        assert (view["licence"]["verification_code"] == code) is sees, who
        assert (code.encode() in raw) is sees, who
    assert world.get(f"/cases/{world.person_case}", "other_department_clerk")[0] == 404
    _, others, raw = world.get("/me/licences", "representative")
    assert number not in [i["licence_number"] for i in others["items"]] and code.encode() not in raw

    # Not searchable, not highlighted, whoever searches.
    for who in ("owner", "clerk", "auditor", "admin"):
        status, found, raw = world.get("/search", who, q=code)
        assert status == 200 and found["total"] == 0 and code.encode() not in raw, who

    # The auditor reads the issuing event and the state with the code starred out.
    aggregate = str(licence_id(number))
    for path in (f"/audit/streams/{aggregate}/events", f"/audit/streams/{aggregate}/state"):
        status, _, raw = world.get(path, "auditor")
        assert status == 200 and code.encode() not in raw and b"*" * 12 in raw


def test_renewal_keeps_the_code_so_the_printed_licence_still_verifies(world):
    number = world.business_licence
    code = world.code(number)
    renewed = world.app.renew_licence(licence_number=number, actor=CLERK)
    assert world.code(number) == code
    status, answer = _verify(world, number, code=code, consistent_after=renewed.position)
    assert (status, answer["consistent"], answer["state"]) == (200, True, "valid")
    assert (
        answer["valid_until"]
        == world.app.repository.get(UUID(str(licence_id(number)))).valid_until.isoformat()
    )
