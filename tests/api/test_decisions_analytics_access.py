"""Decisions' legal basis in the case view, analytics checked against a hand computation,
throughput over time, every channel, and searches in the access log, over HTTP against real
Kafka and Elasticsearch (one live world for the module).

The fixed scenario: one item (statutory 5 working days), six cases in November 2025 (no public
holiday that month), one per channel, at 10:00 Asia/Shanghai on the days below. Each is
accepted on the day it is submitted, so its statutory due day is the 5th working day after.

| case | channel | submitted (= accepted) | statutory due | outcome, day    | working days | on time |
|------|---------|------------------------|---------------|-----------------|--------------|---------|
| A    | web     | Mon 11-03              | Mon 11-10     | approved, 11-05 | 2 (4, 5)     | yes     |
| B    | app     | Mon 11-03              | Mon 11-10     | rejected, 11-10 | 5 (4-7, 10)  | yes     |
| C    | wechat  | Tue 11-04              | Tue 11-11     | approved, 11-12 | 6 (5-7, 10-12) | no    |
| D    | hall    | Fri 11-07              | Fri 11-14     | approved, 11-10 | 1 (10)       | yes     |
| E    | hotline | Mon 11-10              | Mon 11-17     | rejected, 11-21 | 9 (11-14, 17-21) | no  |
| F    | kiosk   | Tue 11-11              | Tue 11-18     | open (overdue)  |              |         |

Working days count the days d with submission < d <= decision. So: submitted 6, decided 5
(approved 3, rejected 2), open 1, overdue 1; durations 1, 2, 5, 6, 9: median (nearest rank 3
of 5) 5, p90 (rank 5 of 5) 9; on time 3 of 5 = 0.6; ratings A 5 and C 2: 3.5.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import orjson
import pytest
from django.test import Client

from api.auth import issue_dev_token
from domain.legal_basis import REFUSAL
from domain.store.access_log import find_access
from tests.support.live import live_casetrack
from tests.support.scenarios import ADMIN, CLERK, MATERIALS, PERSON, PERSON_ID, item_terms

pytestmark = pytest.mark.integration

ITEM = "510100-XK-ROWS01"
CITIZEN_SUB = "citizen-rows-1"  # opaque, as an identity provider's subject is
SHANGHAI = timezone(timedelta(hours=8))
CHANNEL_OF = {"A": "web", "B": "app", "C": "wechat", "D": "hall", "E": "hotline", "F": "kiosk"}
CITIZEN_CHANNELS = ("web", "app", "wechat")
# (case, submitted, decided, outcome, legal basis): November 2025.
SCENARIO = [
    ("A", 3, 5, "approved", None),
    ("B", 3, 10, "rejected", "《食品经营许可管理办法》第十二条"),
    ("C", 4, 12, "approved", {"law": "中华人民共和国食品安全法", "article": "第三十五条"}),
    ("D", 7, 10, "approved", "食品安全法第三十五条"),
    ("E", 10, 21, "rejected", "食品经营许可管理办法"),
    ("F", 11, None, None, None),
]
TOKENS = {
    "clerk": issue_dev_token(
        role="clerk", sub="clerk-7", department="market-regulation", region_code="510100"
    ),
    "citizen": issue_dev_token(role="citizen", sub=CITIZEN_SUB, party_id=PERSON_ID),
    "analyst": issue_dev_token(role="analyst", sub="analyst-1"),
    "auditor": issue_dev_token(role="auditor", sub="auditor-1"),
}


@dataclass
class World:
    app: Any
    cases: dict[str, str] = field(default_factory=dict)  # A..F -> case id
    refused: str = ""

    def get(self, path: str, as_: str, **params: Any) -> tuple[int, Any]:
        response = Client().get(
            f"/api/v1{path}", data=params, headers={"Authorization": f"Bearer {TOKENS[as_]}"}
        )
        return response.status_code, orjson.loads(response.content)


def _on(app, day: int):
    moment = datetime(2025, 11, day, 10, tzinfo=SHANGHAI)
    app.clock = lambda: moment


def _populate(app, world: World) -> None:
    real_clock = app.clock
    try:
        _on(app, 1)
        app.publish_item(code=ITEM, actor=ADMIN, **item_terms(statutory_days=5, promised_days=3))
        for name, submitted, decided, outcome, basis in SCENARIO:
            channel = CHANNEL_OF[name]
            citizen = {"role": "citizen", "subject": PERSON_ID, "channel": channel}
            _on(app, submitted)
            case_id = app.submit_case(
                item_code=ITEM,
                applicant=PERSON,
                channel=channel,
                materials=MATERIALS,
                actor=citizen if channel in CITIZEN_CHANNELS else CLERK,
            )["case_id"]
            app.accept_case(case_id=case_id, actor=CLERK)
            world.cases[name] = case_id
            if outcome:
                _on(app, decided)
                app.decide_case(
                    case_id=case_id,
                    outcome=outcome,
                    reasons="经审查" if outcome == "approved" else "场所不符合要求",
                    legal_basis=basis,
                    actor=CLERK,
                )
        _on(app, 25)
        for name, score in (("A", 5), ("C", 2)):
            app.rate_case(
                case_id=world.cases[name],
                score=score,
                actor={"role": "citizen", "subject": PERSON_ID},
            )
        world.refused = app.submit_case(
            item_code=ITEM,
            applicant=PERSON,
            channel="web",
            actor={"role": "citizen", "subject": PERSON_ID},
        )["case_id"]
        app.reject_acceptance(
            case_id=world.refused, reason="不属于本机关职权", legal_basis=REFUSAL, actor=CLERK
        )
    finally:
        app.clock = real_clock


@pytest.fixture(scope="module")
def world(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[World]:
    with live_casetrack(
        tmp_path_factory.mktemp("rows"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="rows",
        partitions=2,
    ) as live:
        world = World(app=live.app)
        _populate(live.app, world)
        live.wait_caught_up()
        yield world


# ------------------------------------------------------------------ the legal basis


@pytest.mark.parametrize("who", ["clerk", "citizen", "auditor"])
def test_the_case_view_shows_each_decisions_legal_basis_as_law_and_article(world, who):
    expected = {
        "A": None,
        "B": {"law": "食品经营许可管理办法", "article": "第十二条"},
        "C": {"law": "中华人民共和国食品安全法", "article": "第三十五条"},
        "D": {"law": "食品安全法", "article": "第三十五条"},
        "E": {"law": "食品经营许可管理办法", "article": ""},
    }
    for name, basis in expected.items():
        status, view = world.get(f"/cases/{world.cases[name]}", who)
        assert status == 200, view
        assert view["decision"]["legal_basis"] == basis, name
        assert view["decision"]["outcome"] == view["status"]
    status, view = world.get(f"/cases/{world.cases['F']}", who)
    assert (status, view["decision"]) == (200, None)


def test_the_case_view_of_a_refusal_shows_its_reason_and_legal_basis(world):
    status, view = world.get(f"/cases/{world.refused}", "citizen")
    assert status == 200, view
    assert view["status"] == "refused" and view["closing_reason"] == "不属于本机关职权"
    assert view["decision"]["outcome"] == "refused"
    assert view["decision"]["reasons"] == "不属于本机关职权"
    assert view["decision"]["legal_basis"] == {
        "law": "中华人民共和国行政许可法",
        "article": "第三十二条",
    }


# ------------------------------------------------------------------ analytics


def test_counts_processing_days_and_the_on_time_rate_match_the_hand_computation(world):
    status, answer = world.get("/analytics/cases", "analyst", group_by="department", item=ITEM)
    assert status == 200, answer
    [group] = answer["groups"]
    assert group == {
        "group": "market-regulation",
        "submitted": 7,  # the six and the refused one
        "decided": 5,
        "approved": 3,
        "rejected": 2,
        "open": 1,
        "overdue": 1,
        "median_days": 5.0,
        "p90_days": 9.0,
        "on_time_rate": 0.6,
        "avg_rating": 3.5,
    }


def test_every_channel_hotline_included_has_its_own_group(world):
    status, answer = world.get("/analytics/cases", "analyst", group_by="channel", item=ITEM)
    assert status == 200, answer
    groups = {g["group"]: g for g in answer["groups"]}
    assert set(groups) == {"web", "app", "wechat", "hall", "hotline", "kiosk"}
    assert groups["web"]["submitted"] == 2  # A and the refused one
    assert all(groups[c]["submitted"] == 1 for c in ("app", "wechat", "hall", "hotline", "kiosk"))
    hotline = groups["hotline"]
    assert (hotline["decided"], hotline["rejected"], hotline["median_days"]) == (1, 1, 9.0)
    assert hotline["on_time_rate"] == 0.0
    assert (groups["kiosk"]["open"], groups["kiosk"]["overdue"]) == (1, 1)
    assert (groups["hall"]["median_days"], groups["hall"]["on_time_rate"]) == (1.0, 1.0)
    assert groups["wechat"]["on_time_rate"] == 0.0 and groups["wechat"]["avg_rating"] == 2.0


def _periods(answer: dict) -> dict[str, tuple]:
    return {
        p["period"]: (p["submitted"], p["decided"], p["approved"], p["rejected"], p["on_time_rate"])
        for p in answer["periods"]
    }


def test_throughput_per_week_month_and_day(world):
    status, weekly = world.get("/analytics/throughput", "analyst", interval="week", item=ITEM)
    assert status == 200, weekly
    # Weeks start on Monday: A B C D submitted in the week of 11-03, A decided in it; E F
    # submitted in the week of 11-10 and B C D decided (B, D on time); E decided on 11-21;
    # the refused case was submitted on the 25th (refusals are not decisions here).
    assert weekly["interval"] == "week" and weekly["consistent"] is True
    assert _periods(weekly) == {
        "2025-11-03": (4, 1, 1, 0, 1.0),
        "2025-11-10": (2, 3, 2, 1, 0.6667),
        "2025-11-17": (0, 1, 0, 1, 0.0),
        "2025-11-24": (1, 0, 0, 0, None),
    }
    _, monthly = world.get("/analytics/throughput", "analyst", interval="month", item=ITEM)
    assert _periods(monthly) == {"2025-11": (7, 5, 3, 2, 0.6)}
    _, daily = world.get(
        "/analytics/throughput", "analyst", interval="day", item=ITEM, to="2025-11-10"
    )
    assert _periods(daily) == {
        "2025-11-03": (2, 0, 0, 0, None),
        "2025-11-04": (1, 0, 0, 0, None),
        "2025-11-05": (0, 1, 1, 0, 1.0),
        "2025-11-07": (1, 0, 0, 0, None),
        "2025-11-10": (1, 2, 1, 1, 1.0),
    }


def test_throughput_refuses_an_unknown_interval_and_other_roles(world):
    status, problem = world.get("/analytics/throughput", "analyst", interval="year")
    assert status == 422 and problem["errors"][0]["field"] == "interval"
    assert world.get("/analytics/throughput", "clerk")[0] == 403


# ------------------------------------------------------------------ searches in the access log


def test_a_staff_search_is_recorded_with_its_hits_and_its_query_masked(world):
    store = world.app.store
    before, _ = find_access(store, sub="clerk-7")
    number = world.app.repository.get(UUID(world.cases["B"])).case_number
    status, found = world.get("/search", "clerk", q=number)
    assert status == 200 and found["hits"][0]["id"] == world.cases["B"], found
    status, nothing = world.get("/search", "clerk", q="张小三 13812345678")
    assert status == 200, nothing
    total, [second, first] = find_access(store, sub="clerk-7", limit=2)
    assert total == before + 2  # a search that finds nothing is recorded too
    for entry in (first, second):
        assert (entry.role, entry.endpoint) == ("clerk", "GET /api/v1/search")
        assert (entry.department, entry.region_code) == ("market-regulation", "510100")
    assert first.query == number and set(first.record_ids) == {h["id"] for h in found["hits"]}
    assert len(first.party_ids) == 1  # the applicant, never in plain text
    assert PERSON_ID not in first.party_ids[0]
    assert second.query == "张*三 *******5678" and second.record_ids == []
    # The person whose case the search found sees who found it, when and through which endpoint.
    status, log = world.get("/me/access-log", "citizen")
    assert status == 200, log
    assert (log["items"][0]["sub"], log["items"][0]["endpoint"]) == ("clerk-7", first.endpoint)
    assert log["items"][0]["position"] == first.position
    # The auditor reads the same entries.
    status, audit = world.get("/audit/access-log", "auditor", sub="clerk-7", size=2)
    assert status == 200, audit
    assert [e["position"] for e in audit["items"]] == [second.position, first.position]
    assert audit["items"][1]["query"] == number


def test_a_citizens_own_search_is_recorded_too(world):
    logged_as = world.app.keyring.blind.sub_ref(CITIZEN_SUB)  # a citizen's sub, as logged
    before, _ = find_access(world.app.store, sub=logged_as)
    status, found = world.get("/search", "citizen", q="食品经营许可")
    assert status == 200, found
    total, [entry] = find_access(world.app.store, sub=logged_as, limit=1)
    assert total == before + 1 and entry.endpoint == "GET /api/v1/search"
    assert entry.role == "citizen" and entry.query == "食****可"
