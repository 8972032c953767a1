"""The query side over HTTP against real Elasticsearch and Kafka.

One world per module: `run_full_day` twice on a temporary SQLite store plus a few cases of
our own (another citizen's, an overdue one, an open one, another department's), relayed to
Kafka and projected into Elasticsearch by in-process relay and projector threads under a
topic and index prefix of this module. Every role then tries to read what it should and
what it should not.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from django.test import Client

from api import readside
from api.auth import dev_subject, issue_dev_token
from domain.store.access_log import find_access
from projections import EVENT_PROJECTIONS as PROJECTIONS
from tests.support.es_files import files_holding, index_files
from tests.support.live import live_casetrack
from tests.support.scenarios import (
    BUSINESS,
    BUSINESS_ID,
    CLERK,
    PERSON,
    PERSON_ID,
    Created,
    item_terms,
    run_full_day,
)

pytestmark = pytest.mark.integration

PARTITIONS = 4
DEPARTMENT = "market-regulation"
LATIN_NAME = "Foreign Trade Operator Registration 对外贸易经营者备案"


def _other_person() -> dict:
    from domain.identifiers import make_resident_id

    return {
        "party_id": make_resident_id("510105", date(1985, 3, 9), 456),
        "kind": "person",
        "name": "李小四",
    }


OTHER = _other_person()
# Whose data is erased at the end of the module (nobody else's records change).
THIRD = {
    "party_id": "510106197908087894",
    "kind": "person",
    "name": "王小五",
}


def token(role: str, sub: str, **claims: Any) -> str:
    return issue_dev_token(role=role, sub=sub, **claims)


@dataclass
class World:
    app: Any
    prefix: str
    made: Created
    again: Created
    other_case: str = ""
    overdue_case: str = ""
    open_case: str = ""
    traffic_case: str = ""
    latin_item: str = ""
    third_case: str = ""
    tokens: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, as_: str | None = None, **params: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}
        response = Client().get(f"/api/v1{path}", data=params, headers=headers)
        return response.status_code, orjson.loads(response.content) if response.content else None

    def post(self, path: str, body: dict, as_: str) -> tuple[int, Any]:
        response = Client().post(
            f"/api/v1{path}",
            data=orjson.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.tokens[as_]}"},
        )
        return response.status_code, orjson.loads(response.content)

    def number_of(self, case_id: str) -> str:
        return self.app.repository.get(UUID(case_id)).case_number


def _tokens() -> dict[str, str]:
    return {
        "owner": token("citizen", dev_subject("citizen", PERSON_ID), party_id=PERSON_ID),
        "other": token(
            "citizen", dev_subject("citizen", OTHER["party_id"]), party_id=OTHER["party_id"]
        ),
        "third": token(
            "citizen", dev_subject("citizen", THIRD["party_id"]), party_id=THIRD["party_id"]
        ),
        "business": token("citizen", "rep-1", party_id=BUSINESS_ID),
        "clerk": token("clerk", "clerk-7", department=DEPARTMENT, region_code="510100"),
        "province_clerk": token("clerk", "clerk-p", department=DEPARTMENT, region_code="510000"),
        "county_clerk": token("clerk", "clerk-c", department=DEPARTMENT, region_code="510104"),
        "other_region_clerk": token(
            "clerk", "clerk-m", department=DEPARTMENT, region_code="510700"
        ),
        "other_department_clerk": token(
            "clerk", "clerk-t", department="traffic-police", region_code="510100"
        ),
        "auditor": token("auditor", "auditor-1"),
        "analyst": token("analyst", "analyst-1"),
        "admin": token("admin", "admin-1"),
        "gateway": token("gateway", "unionpay"),
    }


def _populate(app, world: World) -> None:
    admin = {"role": "admin", "subject": "admin-1"}
    citizen_other = {"role": "citizen", "subject": OTHER["party_id"], "channel": "web"}
    free = world.made.items[0]
    world.other_case = app.submit_case(
        item_code=free, applicant=OTHER, channel="web", actor=citizen_other
    )["case_id"]
    # Accepted sixty days ago: past its statutory due day today.
    real_clock = app.clock
    app.clock = lambda: real_clock() - timedelta(days=60)
    try:
        world.overdue_case = app.submit_case(
            item_code=free,
            applicant=PERSON,
            channel="app",
            actor={"role": "citizen", "subject": PERSON_ID},
            materials=[
                {"code": "LICENCE", "document_ref": "a"},
                {"code": "LAYOUT", "document_ref": "b"},
            ],
        )["case_id"]
        app.accept_case(case_id=world.overdue_case, actor=CLERK)
    finally:
        app.clock = real_clock
    app.assign_case(case_id=world.overdue_case, clerk_sub="clerk-7", actor=CLERK)
    world.open_case = app.submit_case(
        item_code=free,
        applicant=PERSON,
        channel="web",
        actor={"role": "citizen", "subject": PERSON_ID},
    )["case_id"]
    world.latin_item = "510100-XK-LATIN1"
    app.publish_item(code=world.latin_item, actor=admin, **item_terms(name=LATIN_NAME))
    traffic = "510700-CF-0001"
    app.publish_item(
        code=traffic,
        actor=admin,
        **item_terms(name="机动车驾驶证补领", department="traffic-police", region_code="510700"),
    )
    world.traffic_case = app.submit_case(
        item_code=traffic, applicant=OTHER, channel="web", actor=citizen_other
    )["case_id"]
    world.third_case = app.submit_case(
        item_code=free,
        applicant=THIRD,
        channel="web",
        actor={"role": "citizen", "subject": "citizen-third", "party_id": THIRD["party_id"]},
        form={"shop_name": "王记小吃", "phone": "13800138000"},
    )["case_id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[World]:
    with live_casetrack(
        tmp_path_factory.mktemp("queries"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="queries",
        partitions=PARTITIONS,
    ) as live:
        app = live.app
        world = World(
            app=app,
            prefix=live.prefix,
            made=run_full_day(app, suffix="0001"),
            again=run_full_day(app, suffix="0002"),
            tokens=_tokens(),
        )
        _populate(app, world)
        live.wait_caught_up()
        yield world


def wiring_read_models():
    from api.consistency import read_models

    return read_models()


def _ids(answer: dict) -> list[str]:
    return [h["id"] for h in answer["hits"]]


# ------------------------------------------------------------------ find any result


def test_search_ranks_an_exact_case_number_first(world):
    case = world.made.cases[1]
    status, answer = world.get("/search", "auditor", q=world.number_of(case))
    assert status == 200, answer
    assert answer["hits"][0]["id"] == case and answer["hits"][0]["type"] == "case"
    assert answer["hits"][0]["number"] == world.number_of(case)


def test_search_ranks_an_exact_licence_number_and_item_code_first(world):
    licence = world.made.licences[0]
    _, by_number = world.get("/search", "owner", q=licence)
    assert by_number["hits"][0] == {**by_number["hits"][0], "type": "licence", "id": licence}
    _, by_code = world.get("/search", "owner", q=world.made.items[1].lower())
    assert (by_code["hits"][0]["type"], by_code["hits"][0]["id"]) == ("item", world.made.items[1])


def test_search_finds_a_chinese_item_name_and_the_cases_the_caller_may_see(world):
    paid_item, fee_case = (
        world.made.items[1],
        world.made.cases[1],
    )  # the fee case belongs to the business
    _, as_owner = world.get("/search", "owner", q="户外广告设施")
    assert paid_item in _ids(as_owner) and fee_case not in _ids(as_owner)
    _, as_clerk = world.get("/search", "clerk", q="户外广告设施")
    assert {paid_item, fee_case} <= set(_ids(as_clerk))
    assert any(
        "<em>" in fragment
        for h in as_clerk["hits"]
        for fragments in h["highlight"].values()
        for fragment in fragments
    )


def test_search_tolerates_typos_in_latin_text(world):
    _, answer = world.get("/search", "owner", q="Foriegn Trade Operater Registraton")
    assert answer["hits"] and answer["hits"][0]["id"] == world.latin_item


def test_search_facets_filters_and_pages(world):
    _, everything = world.get("/search", "clerk", q="食品经营许可")
    facets = {f["value"]: f["count"] for f in everything["facets"]["type"]}
    assert facets["case"] >= 1 and facets["item"] >= 1
    _, cases_only = world.get("/search", "clerk", q="食品经营许可", type="case", size=2)
    assert {h["type"] for h in cases_only["hits"]} == {"case"} and len(cases_only["hits"]) == 2
    assert cases_only["total"] == facets["case"]
    _, page_two = world.get("/search", "clerk", q="食品经营许可", type="case", size=2, page=2)
    assert not set(_ids(page_two)) & set(_ids(cases_only))
    _, withdrawn = world.get("/search", "clerk", q="食品经营许可", type="case", status="withdrawn")
    assert {h["status"] for h in withdrawn["hits"]} == {"withdrawn"}
    _, future = world.get("/search", "clerk", q="食品经营许可", **{"from": "2999-01-01"})
    assert future["total"] == 0
    status, _ = world.get("/search", "clerk", q="x", size=101)
    assert status == 422


# ------------------------------------------------------------------ people: sealed, found by refs


def test_staff_find_an_applicant_by_full_name_and_by_identity_number(world):
    mine = {world.made.cases[0], world.overdue_case, world.open_case}
    for q in ("张小三", " 张 小三", "张小三", PERSON_ID, PERSON_ID.lower()):
        status, answer = world.get("/search", "clerk", q=q, type="case", size=100)
        assert status == 200, answer
        found = set(_ids(answer))
        assert mine <= found, q
        applicants = {world.app.repository.get(UUID(c)).applicant["party_id"] for c in found}
        assert applicants == {PERSON_ID}, q
    # The business too, by its credit code and its exact name; the auditor across departments.
    for q in (BUSINESS_ID, BUSINESS["name"]):
        _, answer = world.get("/search", "auditor", q=q, size=100)
        assert world.made.cases[1] in _ids(answer)
        assert set(world.made.violations) <= set(_ids(answer)), q


def test_part_of_a_name_finds_no_one_the_price_of_blind_refs(world):
    for q in ("张小", "小三", PERSON_ID[-6:]):
        _, answer = world.get("/search", "clerk", q=q, type="case", size=100)
        assert world.made.cases[0] not in _ids(answer), q


def test_a_citizen_finds_no_one_elses_records_by_their_name_or_identity_number(world):
    for q in (OTHER["name"], OTHER["party_id"]):
        _, answer = world.get("/search", "owner", q=q, size=100)
        assert {h["type"] for h in answer["hits"]} <= {"item"}, q
    _, own = world.get("/search", "owner", q="张小三", type="case", size=100)
    assert world.made.cases[0] in _ids(own) and world.other_case not in _ids(own)


SECRETS = [
    PERSON_ID,
    "张小三",
    OTHER["party_id"],
    OTHER["name"],
    BUSINESS["name"],
    THIRD["party_id"],
    THIRD["name"],
    "13800138000",
]


def test_the_read_models_hold_no_plaintext_name_or_identity_number(world):
    client = wiring_read_models().client
    pattern = f"{world.prefix}-*"
    client.indices.refresh(index=pattern)
    hits = client.search(index=pattern, size=10_000, query={"match_all": {}})["hits"]["hits"]
    assert {h["_source"].get("type") for h in hits} >= {"case", "payment", "licence", "violation"}
    raw = orjson.dumps([h["_source"] for h in hits]).decode()
    for secret in SECRETS:
        assert secret not in raw, secret
    # Nor in the index's bytes on disk: live and overwritten documents, terms and translog.
    files = index_files(client, pattern)
    if files is None:
        pytest.skip("the Elasticsearch node's data path is not on this machine")
    assert files_holding(files, "户外广告设施设置许可"), "the byte search finds nothing at all"
    for secret in SECRETS:
        assert files_holding(files, secret) == [], secret


def test_answers_open_what_the_documents_hold_sealed(world):
    case = world.made.cases[0]
    _, as_clerk = world.get(f"/cases/{case}", "clerk")
    assert as_clerk["applicant"] == {"party_id": PERSON_ID, "kind": "person", "name": "张小三"}
    assert as_clerk["rating"] == {"score": 5, "comment": "办事快"}
    _, payments = world.get("/me/payments", "owner", size=100)
    assert payments["items"] and all("payer_name" not in p for p in payments["items"])
    _, violations = world.get("/me/violations", "business")
    assert violations["total"] == 4


# ------------------------------------------------------------------ who sees what

OUTSIDERS = ["other", "other_department_clerk", "other_region_clerk", "county_clerk"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_someone_elses_case_is_404_by_id_and_by_number_and_absent_from_search(world, who):
    case = world.made.cases[0]
    number = world.number_of(case)
    assert world.get(f"/cases/{case}", who)[0] == 404
    assert world.get(f"/cases/{number}", who)[0] == 404
    for q in (number, case, "食品经营许可", PERSON_ID):
        status, answer = world.get("/search", who, q=q)
        assert status == 200 and case not in _ids(answer), q
    assert world.get(f"/cases/{case}", "owner")[0] == 200


@pytest.mark.parametrize("who", OUTSIDERS)
def test_guessing_case_numbers_finds_nothing_outside_the_callers_scope(world, who):
    year = world.number_of(world.made.cases[0]).split("-")[1]
    found = set()
    for sequence in range(1, 40):
        number = f"SC-{year}-510100-{sequence:08d}"
        status, answer = world.get(f"/cases/{number}", who)
        assert status in (200, 404)
        if status == 200:
            found.add(answer["case_id"])
    visible = {"other": {world.other_case}}.get(who, set())
    assert found == visible


def test_a_province_clerk_sees_the_cases_of_the_cities_in_the_province(world):
    status, view = world.get(f"/cases/{world.made.cases[0]}", "province_clerk")
    assert status == 200 and view["applicant"]["name"] == "张小三"


@pytest.mark.parametrize("who", ["auditor", "analyst", "admin"])
def test_wide_staff_see_every_case_with_personal_data_masked(world, who):
    status, view = world.get(f"/cases/{world.made.cases[0]}", who)
    assert status == 200
    assert view["applicant"]["name"] == "张*三"
    assert view["applicant"]["party_id"] == "*" * 14 + PERSON_ID[-4:]
    assert world.get(f"/cases/{world.traffic_case}", who)[0] == 200


def test_a_gateway_may_not_read_cases_or_search(world):
    assert world.get(f"/cases/{world.made.cases[0]}", "gateway")[0] == 403
    assert world.get("/search", "gateway", q="x")[0] == 403


def test_no_token_is_401_and_a_malformed_id_is_404(world):
    assert world.get(f"/cases/{world.made.cases[0]}")[0] == 401
    assert world.get("/cases/not-a-case", "auditor")[0] == 404


# ------------------------------------------------------------------ the case view and the worklist


def test_the_case_view_composes_status_timeline_dues_payments_licence_and_rating(world):
    case = world.made.cases[0]
    status, view = world.get(f"/cases/{case}", "owner")
    assert status == 200
    aggregate = world.app.repository.get(UUID(case))
    assert (view["status"], view["version"], view["case_number"]) == (
        "approved",
        aggregate.version,
        aggregate.case_number,
    )
    assert [s["step"] for s in view["timeline"]][:2] == ["CaseSubmitted", "CaseMaterialsRequested"]
    assert view["statutory_due"] == aggregate.statutory_due.isoformat() and view["overdue"] is False
    assert view["rating"]["score"] == 5
    assert (
        view["licence"]["licence_number"] == world.made.licences[0]
        and view["licence"]["state"] == "valid"
    )
    assert [(p["kind"], p["status"]) for p in view["payments"]] == [("charge", "cancelled")]
    assert view["consistent"] is True and view["position"] > 0


def test_the_fee_case_shows_its_settled_and_partly_refunded_fee(world):
    _, view = world.get(f"/cases/{world.made.cases[1]}", "clerk")
    fee = view["payments"][0]
    assert (fee["kind"], fee["status"], fee["paid_fen"], fee["refunded_fen"]) == (
        "fee",
        "partially_refunded",
        5000,
        1000,
    )


def test_overdue_is_computed_from_the_clock_and_the_worklist_puts_it_first(world):
    _, view = world.get(f"/cases/{world.overdue_case}", "clerk")
    assert view["status"] == "accepted" and view["overdue"] is True
    status, worklist = world.get("/worklist", "clerk")
    assert status == 200
    ids = [i["case_id"] for i in worklist["items"]]
    assert ids[0] == world.overdue_case and world.open_case in ids
    assert {i["status"] for i in worklist["items"]} <= {
        "submitted",
        "materials_requested",
        "accepted",
        "suspended",
    }
    _, mine = world.get("/worklist", "clerk", assigned_to="me")
    assert [i["case_id"] for i in mine["items"]] == [world.overdue_case]
    _, overdue = world.get("/worklist", "clerk", overdue="true")
    assert [i["case_id"] for i in overdue["items"]] == [world.overdue_case]
    _, on_time = world.get("/worklist", "clerk", overdue="false")
    assert world.overdue_case not in [i["case_id"] for i in on_time["items"]]
    _, elsewhere = world.get("/worklist", "other_department_clerk")
    assert elsewhere["total"] == 0
    assert world.get("/worklist", "owner")[0] == 403


# ------------------------------------------------------------------ read your writes


def test_consistent_after_a_command_answers_the_new_state(world):
    status, submitted = world.post(
        "/cases",
        {
            "item_code": world.made.items[0],
            "applicant": OTHER,
            "channel": "web",
            "materials": [],
            "form": {},
        },
        as_="other",
    )
    assert status == 201, submitted
    status, view = world.get(
        f"/cases/{submitted['case_id']}", "other", consistent_after=submitted["position"]
    )
    assert (status, view["consistent"], view["status"]) == (200, True, "submitted")
    _, found = world.get(
        "/search", "other", q=submitted["case_number"], consistent_after=submitted["position"]
    )
    assert found["consistent"] is True and found["hits"][0]["id"] == submitted["case_id"]
    status, withdrawn = world.post(
        f"/cases/{submitted['case_id']}/withdraw", {"reason": "不需要了"}, as_="other"
    )
    assert status == 200, withdrawn
    _, view = world.get(
        f"/cases/{submitted['case_id']}", "other", consistent_after=withdrawn["position"]
    )
    assert (view["consistent"], view["status"], view["version"]) == (
        True,
        "withdrawn",
        withdrawn["version"],
    )


def test_a_searchable_write_changes_the_total_and_facets_of_a_search_answered_before(world):
    # The total and facets come from Elasticsearch's request cache (docs/api.md, "Search"):
    # a refresh that changes the index must invalidate what it holds, for every page.
    def cases_facet(answer: dict) -> int:
        return {f["value"]: f["count"] for f in answer["facets"]["type"]}.get("case", 0)

    _, before = world.get("/search", "other", type="case")
    _, again = world.get("/search", "other", type="case", page=2, size=1)
    assert again["total"] == before["total"] and again["facets"] == before["facets"]
    status, submitted = world.post(
        "/cases",
        {
            "item_code": world.made.items[0],
            "applicant": OTHER,
            "channel": "web",
            "materials": [],
            "form": {},
        },
        as_="other",
    )
    assert status == 201, submitted
    deadline = time.monotonic() + 60  # consistent_after waits 5 s per request; a busy CI more
    while True:
        _, after = world.get(
            "/search", "other", type="case", consistent_after=submitted["position"]
        )
        if after["consistent"] or time.monotonic() > deadline:
            break
    assert after["consistent"] is True and after["total"] == before["total"] + 1
    assert cases_facet(after) == cases_facet(before) + 1
    assert after["hits"][0]["id"] == submitted["case_id"]  # newest first without text


def test_consistent_after_a_position_beyond_the_store_head_is_refused_at_once(world):
    # It could never be reached: 422 rather than holding the request for the 5 s bound
    # (docs/api.md, "Consistency"; the bound itself: tests/unit/search/test_read_side.py).
    started = datetime.now(UTC)
    status, answer = world.get(
        "/me/cases", "owner", consistent_after=world.app.max_position() + 1000
    )
    assert status == 422 and answer["errors"][0]["field"] == "consistent_after", answer
    assert datetime.now(UTC) - started < timedelta(seconds=1)


# ------------------------------------------------------------------ licences, catalogue, me


def test_public_verification_of_a_licence_masks_the_holder_and_is_logged(world):
    licence = world.made.licences[0]
    code = world.app.get_licence(licence).verification_code
    response = Client().get(f"/api/v1/licences/{licence}/verify", {"code": code})
    answer = orjson.loads(response.content)
    assert (
        response.status_code == 200
        and answer["state"] == "valid"
        and answer["holder"]["name"] == "张*三"
    )
    assert answer["verify_url"].endswith(f"/api/v1/licences/{licence}/verify?code={code}")
    unknown = orjson.loads(Client().get("/api/v1/licences/SCL-2026-510100-99999999/verify").content)
    assert unknown["state"] == "unknown" and unknown["holder"] is None
    # The log keeps the parties of what was read as blind refs, never their ids.
    _, entries = find_access(world.app.store, party_id=readside.party_ref(PERSON_ID), limit=100_000)
    assert any(e.role == "public" and licence in e.record_ids for e in entries)


def test_a_revoked_licence_verifies_as_revoked_and_spoils_the_holders_credit(world):
    licence = world.again.licences[0]
    revoked = world.app.revoke_licence(licence_number=licence, reason="违规经营", actor=CLERK)
    code = world.app.get_licence(licence).verification_code
    response = Client().get(
        f"/api/v1/licences/{licence}/verify", {"consistent_after": revoked.position, "code": code}
    )
    answer = orjson.loads(response.content)
    assert (answer["consistent"], answer["state"]) == (True, "revoked")
    _, credit = world.get("/me/credit", "owner", consistent_after=revoked.position)
    assert licence in [i["licence_number"] for i in credit["revoked_licences"]["items"]]
    assert credit["good_standing"] is False


def test_the_catalogue_is_public(world):
    client = Client()
    item = orjson.loads(client.get(f"/api/v1/catalog/items/{world.made.items[0]}").content)
    assert item["name"] == "食品经营许可" and item["status"] == "published"
    withdrawn = orjson.loads(client.get(f"/api/v1/catalog/items/{world.made.items[2]}").content)
    assert withdrawn["status"] == "withdrawn"
    assert client.get("/api/v1/catalog/items/510100-XK-NOPE").status_code == 404
    listed = orjson.loads(
        client.get("/api/v1/catalog/items", {"q": "食品经营", "region_code": "510104"}).content
    )
    assert world.made.items[0] in [i["code"] for i in listed["items"]]
    assert world.made.items[2] not in [i["code"] for i in listed["items"]]
    traffic = orjson.loads(
        client.get("/api/v1/catalog/items", {"department": "traffic-police"}).content
    )
    assert [i["code"] for i in traffic["items"]] == ["510700-CF-0001"]
    assert client.get("/api/v1/catalog/items", {"region_code": "51"}).status_code == 422


def test_the_catalogue_counts_items_per_department_and_level_for_browsing(world):
    client = Client()
    every = orjson.loads(client.get("/api/v1/catalog/items", {"size": 1}).content)
    departments = {f["value"]: f["count"] for f in every["facets"]["department"]}
    assert departments == {"market-regulation": 5, "traffic-police": 1}  # withdrawn ones not
    assert every["facets"]["level"] == [{"value": "city", "count": 6}]
    assert every["total"] == 6 and len(every["items"]) == 1
    # A facet ignores its own filter (the other departments stay choosable), not the others'.
    traffic = orjson.loads(
        client.get("/api/v1/catalog/items", {"department": "traffic-police"}).content
    )
    assert traffic["total"] == 1
    assert {f["value"] for f in traffic["facets"]["department"]} == set(departments)
    assert traffic["facets"]["level"] == [{"value": "city", "count": 1}]
    counties = orjson.loads(client.get("/api/v1/catalog/items", {"level": "county"}).content)
    assert counties["total"] == 0 and counties["facets"]["level"] == [{"value": "city", "count": 6}]


def test_popular_items_are_the_published_ones_most_applied_for(world):
    status, popular = world.get("/catalog/popular", days=90, size=50)
    assert status == 200 and popular["days"] == 90
    status, analytics = world.get("/analytics/cases", as_="analyst", group_by="item")
    submitted = {g["group"].lower(): g["submitted"] for g in analytics["groups"]}
    listed = [(i["code"], i["applications"]) for i in popular["items"]]
    assert listed, "the world has applications"
    assert all(n == submitted[code.lower()] for code, n in listed)
    assert [n for _, n in listed] == sorted((n for _, n in listed), reverse=True)
    assert all(i["status"] == "published" and i["name"] for i in popular["items"])
    assert listed[0][0] == world.made.items[0]  # the free licence: the most cases
    assert world.get("/catalog/popular", size=1)[1]["items"][0]["code"] == listed[0][0]
    assert world.get("/catalog/popular", days=0)[0] == 422
    assert world.get("/catalog/popular", size=51)[0] == 422


def test_a_citizen_lists_only_their_own_records(world):
    status, cases = world.get("/me/cases", "owner", size=100)
    assert status == 200
    ids = {c["case_id"] for c in cases["items"]}
    assert world.made.cases[0] in ids and world.overdue_case in ids
    assert world.other_case not in ids and world.made.cases[1] not in ids  # the business's fee case
    _, violations = world.get("/me/violations", "business")
    assert violations["total"] == 4 and all(v["violation_id"] for v in violations["items"])
    assert world.get("/me/violations", "owner")[1]["total"] == 0
    _, payments = world.get("/me/payments", "business", size=100)
    assert {p["kind"] for p in payments["items"]} == {"fee", "fine"}
    assert world.get("/me/cases", "clerk")[0] == 403


def test_a_citizen_sees_which_staff_read_their_records(world):
    world.get(f"/cases/{world.open_case}", "clerk")
    _, log = world.get("/me/access-log", "owner")
    assert any(
        (e["role"], e["sub"], e["department"]) == ("clerk", "clerk-7", DEPARTMENT)
        and world.open_case in e["endpoint"]
        for e in log["items"]
    )
    assert all(e["sub"] != PERSON_ID for e in log["items"])
    _, other_log = world.get("/me/access-log", "other")
    assert all(world.open_case not in e["endpoint"] for e in other_log["items"])
    _, audit = world.get("/audit/access-log", "auditor", party_id=PERSON_ID, sub="clerk-7")
    assert audit["total"] >= 1 and all(
        p.startswith("*") for e in audit["items"] for p in e["party_ids"]
    )


# ------------------------------------------------------------------ audit, analytics, operations


def test_the_auditor_reads_a_streams_history_from_the_event_store_with_hashes_masked_data_and_replays(
    world,
):
    case = world.made.cases[0]
    status, history = world.get(f"/audit/streams/{case}/events", "auditor")
    assert status == 200
    items = history["items"]
    assert history["total"] == world.app.repository.get(UUID(case)).version == len(items)
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(items, items[1:], strict=False))
    assert (
        items[0]["data"]["applicant"]["name"] == "张*三"
        and items[0]["event_type"] == "CaseSubmitted"
    )
    _, first = world.get(f"/audit/streams/{case}/state", "auditor", version=1)
    assert (first["version"], first["state"]["status"]) == (1, "submitted")
    at = items[2]["occurred_at"]
    _, then = world.get(f"/audit/streams/{case}/state", "auditor", at=at)
    assert then["version"] == 3
    before = (datetime.fromisoformat(items[0]["occurred_at"]) - timedelta(seconds=1)).isoformat()
    assert world.get(f"/audit/streams/{case}/state", "auditor", at=before)[0] == 404
    assert world.get(f"/audit/streams/{uuid4()}/events", "auditor")[0] == 404
    assert world.get(f"/audit/streams/{case}/events", "clerk")[0] == 403


def test_the_auditor_follows_the_global_feed_and_verifies_the_chain(world):
    _, page = world.get("/audit/events", "auditor", after=0, limit=5)
    positions = [e["position"] for e in page["items"]]
    assert (
        positions == sorted(positions)
        and len(positions) == 5
        and page["next_after"] == positions[-1]
    )
    _, following = world.get("/audit/events", "auditor", after=page["next_after"], limit=5)
    assert following["items"][0]["position"] > positions[-1]
    assert page["total"] == page["max_position"]  # SQLite positions have no holes here
    _, whole = world.get("/audit/verify", "auditor")
    assert whole["ok"] is True and whole["checked"] == world.app.max_position()
    _, one = world.get("/audit/verify", "auditor", aggregate_id=world.made.cases[0])
    assert (
        one["ok"] is True
        and one["checked"] == world.app.repository.get(UUID(world.made.cases[0])).version
    )


def test_the_analyst_sees_counts_processing_times_and_revenue(world):
    app = world.app
    cases = [
        app.repository.get(UUID(c))
        for c in world.made.cases + world.again.cases + [world.other_case]
    ]
    ours = [c for c in cases if c.department == DEPARTMENT]
    status, answer = world.get("/analytics/cases", "analyst", group_by="department")
    assert status == 200, answer
    group = next(g for g in answer["groups"] if g["group"] == DEPARTMENT)
    assert group["approved"] == sum(c.status == "approved" for c in ours)
    assert group["rejected"] == sum(c.status == "rejected" for c in ours)
    assert (
        group["overdue"] == 1
        and group["median_days"] is not None
        and group["p90_days"] >= group["median_days"]
    )
    assert group["avg_rating"] == 5.0 and group["on_time_rate"] is not None
    _, by_channel = world.get("/analytics/cases", "analyst", group_by="channel")
    assert {"web", "hall", "kiosk", "app", "wechat"} <= {g["group"] for g in by_channel["groups"]}
    _, revenue = world.get("/analytics/revenue", "analyst", group_by="kind", interval="day")
    kinds = {g["group"]: g for g in revenue["groups"]}
    assert (kinds["fee"]["paid_fen"], kinds["fee"]["refunded_fen"]) == (10_000, 2_000)
    assert (
        kinds["fine"]["paid_fen"] == 40_000
        and kinds["fine"]["periods"][0]["period"].count("-") == 2
    )
    assert world.get("/analytics/cases", "clerk")[0] == 403


def test_the_admin_sees_every_projection_caught_up_without_dead_letters(world):
    from api.consistency import wait_for_position

    assert wait_for_position(world.app.max_position(), list(PROJECTIONS), timeout_s=30)
    status, ops = world.get("/ops/projections", "admin")
    assert status == 200, ops
    assert {p["name"] for p in ops["projections"]} == set(PROJECTIONS)
    for projection in ops["projections"]:
        assert projection["watermark"] >= ops["max_position"] and projection["lag_events"] == 0
        assert (projection["dead_letters"], projection["degraded_documents"]) == (0, 0)
        assert projection["lag_seconds"] == 0
        # every read model holds documents, but the scenario files no gateway statement
        assert projection["documents"] > 0 or projection["name"] == "reconciliations"
        assert projection["mapping_stale"] is False
    assert world.get("/ops/projections", "auditor")[0] == 403


def test_an_index_made_with_an_older_mapping_is_reported_for_a_rebuild(world):
    from search.indices import Names, index_body
    from search.store import ReadModels

    client = wiring_read_models().client
    models = ReadModels(client, Names(f"{world.prefix}-old"))
    body = index_body("cases")
    body["mappings"].pop("_meta")  # as indices were made before mappings had revisions
    index = models.names.index("cases", 1)
    client.indices.create(index=index, **body)
    client.indices.update_aliases(
        actions=[{"add": {"index": index, "alias": models.names.alias("cases")}}]
    )
    assert (models.mapping_revision("cases"), models.stale("cases")) == (1, True)
    rebuilt = models.create_next_index("cases")
    models.swap_alias("cases", rebuilt)
    assert (models.mapping_revision("cases"), models.stale("cases")) == (2, False)


def test_an_index_made_before_eager_global_ordinals_gets_them_in_place(world):
    from search.indices import Names, index_body
    from search.store import ReadModels

    client = wiring_read_models().client
    models = ReadModels(client, Names(f"{world.prefix}-lazy"))
    body = index_body("payments")
    for name in ("type", "department", "status"):
        body["mappings"]["properties"][name] = {"type": "keyword"}
    index = models.names.index("payments", 1)
    client.indices.create(index=index, **body)
    client.indices.update_aliases(
        actions=[{"add": {"index": index, "alias": models.names.alias("payments")}}]
    )
    assert models.ensure("payments") == index  # the same index: no rebuild needed
    properties = client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    for name in ("type", "department", "status"):
        assert properties[name] == {"type": "keyword", "eager_global_ordinals": True}
    assert models.stale("payments") is False


# ------------------------------------------------------------------ erasure (last: it changes THIRD)


def _erase_third(world) -> int:
    """Erase THIRD's data (again answers the first erasure); the store's head afterwards."""
    world.app.erase_party(
        party_id=THIRD["party_id"],
        legal_basis="《中华人民共和国个人信息保护法》第四十七条",
        reason="本人申请删除",
        actor={"role": "admin", "subject": "admin-1"},
    )
    return world.app.max_position()


def test_after_an_erasure_every_view_shows_erased(world):
    case = world.third_case
    _, before = world.get(f"/cases/{case}", "clerk")
    assert before["applicant"]["name"] == THIRD["name"]
    head = _erase_third(world)
    status, view = world.get(f"/cases/{case}", "clerk", consistent_after=head)
    assert (status, view["consistent"]) == (200, True)
    assert view["applicant"] == {"party_id": "[erased]", "kind": "person", "name": "[erased]"}
    _, masked = world.get(f"/cases/{case}", "auditor")
    assert masked["applicant"] == view["applicant"]
    _, history = world.get(f"/audit/streams/{case}/events", "auditor")
    submitted = history["items"][0]
    assert submitted["data"]["applicant"]["name"] == "[erased]"
    assert submitted["data"]["form"] == "[erased]"
    assert submitted["actor"]["party_id"] == "[erased]"
    assert submitted["actor"]["subject"] == "[erased]"
    # The record itself stays, found by its number.
    _, by_number = world.get("/search", "clerk", q=world.number_of(case))
    assert case in _ids(by_number)


def test_after_an_erasure_the_person_is_found_no_more(world):
    case = world.third_case
    head = _erase_third(world)
    for q in (THIRD["party_id"], THIRD["name"]):
        _, found = world.get("/search", "auditor", q=q, size=100, consistent_after=head)
        assert case not in _ids(found), q
    assert world.get("/me/cases", "third")[1]["total"] == 0
    document = wiring_read_models().get_many(f"{world.prefix}-cases", [case])[case]
    assert (
        document["party_ids"] == [] and "ct1:" not in orjson.dumps(document["applicant"]).decode()
    )
