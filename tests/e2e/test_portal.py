"""The portal in headless Chromium: its four scenarios (find a result, my records, verify a
licence, audit), paying, and the language switch."""

from __future__ import annotations

import re
import sqlite3
from uuid import UUID

import pytest
from playwright.sync_api import expect

from domain.identifiers import mask_name
from tests.e2e.conftest import shot, sign_in
from tests.support.scenarios import PERSON, PERSON_ID

pytestmark = pytest.mark.integration


def event_types(system, aggregate_id: str) -> list[str]:
    """The stream's event types, from the event store itself."""
    return [e.topic.rsplit(".", 1)[-1] for e in system.app.read_stream(UUID(aggregate_id))]


def test_a_citizen_searches_their_case_number_and_sees_its_status_and_timeline(page, system):
    case_id = system.day1.cases[0]
    number = system.case_number(case_id)
    sign_in(page, "citizen", option_text=PERSON_ID[-4:])
    expect(page).to_have_url(re.compile(r"/me$"))
    page.get_by_role("link", name="办事服务").click()
    page.get_by_label("办件编号、证照编号").fill(number)
    page.get_by_role("button", name="查询").click()
    first = page.locator("section[data-group='case'] li.result").first
    expect(first).to_have_attribute("data-id", case_id)
    expect(first.locator(".badge")).to_have_text("准予许可")
    shot(page, "e2e-search-citizen")

    first.get_by_role("link").click()
    expect(page.locator("#case-number")).to_have_text(number)
    expect(page.locator(".flags .badge").first).to_have_text("准予许可")
    stored = event_types(system, case_id)
    assert {"CaseSubmitted", "CaseAccepted", "CaseSuspended", "CaseDecided", "CaseRated"} <= set(
        stored
    )
    steps = page.locator("#timeline li")
    expect(steps).to_have_count(len(stored))
    assert [s.get_attribute("data-step") for s in steps.all()] == stored
    expect(steps.first.locator(".step")).to_have_text("提交申请")
    expect(steps.first.locator(".role")).to_have_text("申请人")
    expect(steps.nth(3).locator(".role")).to_have_text("经办人")
    licence = system.day1.licences[0]
    link = page.locator("a.ident", has_text=licence)
    expect(link).to_be_visible()
    # The holder's own view carries the verification code and the QR's link with it.
    code = code_of(system, licence)
    expect(page.locator(f"[data-code='{code}']")).to_be_visible()
    expect(link).to_have_attribute("href", f"/verify/{licence}?code={code}")
    # The decision with the legal basis it cites ({law, article}, as cited in Chinese).
    expect(page.locator("#legal-basis")).to_have_text("《食品安全法》")
    shot(page, "e2e-case-approved")

    # Their refused case: the refusal's reason and legal basis.
    page.goto(f"/cases/{system.day1.cases[2]}")
    expect(page.locator(".flags .badge").first).to_have_text("不予受理")
    expect(page.locator("#legal-basis")).to_have_text("《中华人民共和国行政许可法》第三十二条")

    # Another of their cases, accepted sixty days ago: past its statutory deadline.
    page.goto(f"/cases/{system.overdue_case}")
    expect(page.locator("[data-flag='overdue']")).to_have_text("已超期")
    expect(page.locator(".deadline")).to_have_class(re.compile("is-overdue"))
    assert "null" not in page.locator("#case").inner_text()
    shot(page, "e2e-case-overdue")


def code_of(system, number: str) -> str:
    """The verification code printed on the licence (its holder's, from the event store)."""
    return system.app.get_licence(number).verification_code


def test_an_anonymous_visitor_verifies_a_revoked_licence_with_its_number_and_code(page, system):
    number = system.revoked_licence
    code = code_of(system, number)
    page.goto("/verify")
    page.get_by_label("证照编号").fill(number)
    page.get_by_label("核验码").fill(code.lower())  # as typed from paper
    page.get_by_role("button", name="核验").click()
    verdict = page.locator("section.verdict")
    expect(verdict).to_have_attribute("data-state", "revoked")
    expect(verdict.locator("h2")).to_contain_text("该证照已被吊销")
    expect(page.locator("#holder")).to_have_text(mask_name(PERSON["name"]))
    assert PERSON["name"] not in page.content()
    expect(page).to_have_url(re.compile(f"/verify/{number}\\?code={code.lower()}$"))
    expect(verdict.locator("a")).to_have_text(re.compile(f"/verify/{number}\\?code={code}$"))
    shot(page, "e2e-verify-revoked")

    # The right number with a wrong code tells nothing: the answer of an unknown number.
    page.get_by_label("核验码").fill("ABCDEFGHJKMN")
    page.get_by_role("button", name="核验").click()
    expect(verdict).to_have_attribute("data-state", "unknown")
    expect(verdict.locator("h2")).to_contain_text("未找到与该编号和核验码相符的证照。")
    assert "吊销" not in verdict.inner_text() and mask_name(PERSON["name"]) not in page.content()

    # The QR link of a licence still in force, at phone width: the code rides in its query.
    valid = system.day1.licences[0]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/verify/{valid}?code={code_of(system, valid)}")
    expect(page.locator("#code")).to_have_value(code_of(system, valid))
    expect(page.locator("section.verdict")).to_have_attribute("data-state", "valid")
    shot(page, "e2e-verify-valid-phone")
    page.goto(f"/verify/{valid}")
    expect(page.locator("section.verdict")).to_have_attribute("data-state", "unknown")


def test_an_auditor_verifies_a_chain_and_sees_a_tampered_stream_flagged(page, system):
    clean = system.day1.cases[0]
    sign_in(page, "auditor")
    expect(page).to_have_url(re.compile(r"/audit$"))
    page.get_by_label("事件流").fill(system.case_number(clean))
    page.get_by_role("button", name="查看事件").click()
    stored = event_types(system, clean)
    rows = page.locator("#events tbody tr")
    expect(rows).to_have_count(len(stored))
    page.get_by_role("button", name="校验此事件流的哈希链").click()
    verdict = page.locator("#chain-verdict")
    expect(verdict).to_have_attribute("data-ok", "true")
    expect(verdict).to_contain_text(f"已校验 {len(stored)} 个事件")
    page.locator("button[data-state-version='4']").click()
    expect(page.locator("#state h2")).to_have_text("第 4 版之后的状态")
    expect(page.locator("#state-json")).to_contain_text('"status": "accepted"')
    shot(page, "e2e-audit-ok")

    # An attacker rewrites the reason of a stored withdrawal straight in the SQLite file.
    victim = system.day2.cases[4]
    with sqlite3.connect(system.store_path) as db:
        changed = db.execute(
            "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), '不再需要', '已经办完') AS BLOB) "
            "WHERE originator_id = ? AND originator_version = 2",
            (UUID(victim).hex,),
        ).rowcount
    assert changed == 1
    page.get_by_label("事件流").fill(victim)
    page.get_by_role("button", name="查看事件").click()
    expect(page.locator("#events tbody tr")).to_have_count(2)
    expect(page.locator("#events")).to_contain_text("已经办完")
    page.get_by_role("button", name="校验此事件流的哈希链").click()
    expect(verdict).to_have_attribute("data-ok", "false")
    expect(verdict).to_contain_text("发现篡改")
    expect(page.locator("tr[data-version='2']")).to_have_class(re.compile("tampered"))
    expect(page.locator("tr[data-version='1']")).not_to_have_class(re.compile("tampered"))
    shot(page, "e2e-audit-tampered")


def test_an_analyst_filters_the_dashboard_by_a_department_and_the_charts_equal_the_api(
    page, system
):
    department = "market-regulation"
    sign_in(page, "analyst")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    root = page.locator("#dashboard")
    expect(root).to_have_attribute("data-state", "ready")
    everywhere = page.evaluate("Chart.getChart('chart-departments').data.labels.length")
    assert everywhere > 1
    page.get_by_role("combobox", name="部门").select_option(department)
    page.get_by_role("button", name="筛选").click()
    expect(root).to_have_attribute("data-filters", f"department={department}")
    expect(root).to_have_attribute("data-state", "ready")

    by_status = system.api(
        f"/analytics/cases?group_by=status&department={department}", role="analyst"
    )["groups"]
    assert sum(g["submitted"] for g in by_status) > 0
    chart = page.evaluate(
        "(() => { const c = Chart.getChart('chart-status');"
        " return {groups: c.$groups, data: c.data.datasets[0].data}; })()"
    )
    assert dict(zip(chart["groups"], chart["data"], strict=True)) == {
        g["group"]: g["submitted"] for g in by_status
    }

    [dept] = system.api(
        f"/analytics/cases?group_by=department&department={department}", role="analyst"
    )["groups"]
    bars = page.evaluate("Chart.getChart('chart-departments').data")
    assert bars["labels"] == ["市场监督管理局"]
    assert [ds["data"] for ds in bars["datasets"]] == [
        [dept["submitted"]],
        [dept["decided"]],
        [dept["open"]],
        [dept["overdue"]],
    ]
    days = page.evaluate("Chart.getChart('chart-days').data.datasets.map(d => d.data)")
    assert days == [[dept["median_days"]], [dept["p90_days"]]]

    revenue = system.api(
        f"/analytics/revenue?group_by=kind&interval=month&department={department}", role="analyst"
    )["groups"]
    drawn = page.evaluate(
        "Chart.getChart('chart-revenue').data.datasets.map(d => d.data.reduce((a, b) => a + b, 0))"
    )
    assert [round(x * 100) for x in drawn] == [g["net_fen"] for g in revenue]
    shot(page, "e2e-dashboard-market-regulation")


def test_a_citizen_pays_a_fee_from_my_records(page, system):
    sign_in(page, "citizen", option_text=PERSON_ID[-4:])
    row = page.locator(f"#payments tr[data-payment='{system.fee_payment}']")
    expect(row.locator(".badge").first).to_have_text("待缴费")
    expect(page.locator("#credit .credit")).to_be_visible()
    expect(page.locator("#access tbody tr").first).to_be_visible()
    shot(page, "e2e-me-before-paying")
    row.get_by_role("button", name=re.compile("缴费")).click()
    expect(page.locator("#pay-status")).to_have_text("缴费成功。")
    expect(row.locator(".badge").first).to_have_text("已缴费")
    assert system.app.repository.get(UUID(system.fee_payment)).status == "settled"


def test_the_language_switch_and_the_phone_width(page, system):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/?q=食品经营许可")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("section[data-group='item'] li.result").first).to_be_visible()
    expect(page.locator("#search-hint")).to_be_visible()
    shot(page, "e2e-search-anonymous-phone")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Services and search")
    expect(page.locator("section[data-group='item'] h2")).to_contain_text("Services")
    shot(page, "e2e-search-anonymous-english-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows the phone's width"
