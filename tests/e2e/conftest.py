"""The portal in a real browser against the real system.

One system per session: a temporary SQLite event store, its own Kafka topic and
Elasticsearch index prefix, the API under gunicorn on a free port, and the relay and the
projectors as processes of their own (`manage.py relay`, `manage.py project all`). A little
data is seeded through the application services (the demo seeder plus two scripted days),
then the fixture waits, with a deadline, until every projection has applied all of it.

The browser is Debian's Chromium (`/usr/bin/chromium`, installed by docker/local/portal.sh)
driven by Playwright; no browser is downloaded. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import orjson
import pytest

from api.auth import issue_dev_token
from consumers import kafka_admin
from consumers.topics import Topics
from domain.demo import DemoSeeder
from domain.services import Casetrack
from projections import EVENT_PROJECTIONS
from search.client import make_client
from search.indices import Names
from search.store import ReadModels
from tests.support.processes import kill, manage
from tests.support.scenarios import CITIZEN, CLERK, MATERIALS, PERSON, Created, run_full_day
from tests.support.stack import wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARTITIONS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class System:
    base_url: str
    app: Casetrack
    env: dict[str, str]
    store_path: Path
    day1: Created
    day2: Created
    fee_payment: str = ""
    overdue_case: str = ""
    revoked_licence: str = ""
    processes: list = field(default_factory=list)

    def case_number(self, case_id: str) -> str:
        return self.app.repository.get(UUID(case_id)).case_number

    def api(self, path: str, *, role: str, **claims) -> dict:
        """The JSON API as a test client sees it (the numbers a page must show)."""
        token = issue_dev_token(role=role, sub=claims.pop("sub", f"{role}-e2e"), **claims)
        request = urllib.request.Request(
            f"{self.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return orjson.loads(response.read())


def _seed(app: Casetrack) -> dict:
    for _ in DemoSeeder(app, seed=7).run(cases=40):
        pass
    day1 = run_full_day(app, suffix="E2E1")
    day2 = run_full_day(app, suffix="E2E2")
    paid_item = day1.items[1]  # fee 5000 fen
    fee_case = app.submit_case(
        item_code=paid_item, applicant=PERSON, channel="web", actor=CITIZEN, materials=MATERIALS
    )["case_id"]
    fee_payment = str(app.accept_case(case_id=fee_case, actor=CLERK)["payment_id"])
    real_clock = app.clock
    app.clock = lambda: real_clock() - timedelta(days=60)  # accepted sixty days ago: overdue today
    try:
        overdue = app.submit_case(
            item_code=day1.items[0],
            applicant=PERSON,
            channel="app",
            actor=CITIZEN,
            materials=MATERIALS,
        )["case_id"]
        app.accept_case(case_id=overdue, actor=CLERK)
    finally:
        app.clock = real_clock
    revoked = day2.licences[0]
    app.revoke_licence(licence_number=revoked, reason="以欺骗手段取得许可", actor=CLERK)
    return {
        "day1": day1,
        "day2": day2,
        "fee_payment": fee_payment,
        "overdue_case": overdue,
        "revoked_licence": revoked,
    }


def _partitions_visible(bootstrap: str, topic: str, partitions: int) -> bool:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return len(consumer.partitions_for_topic(topic) or ()) == partitions
    finally:
        consumer.close()


@pytest.fixture(scope="session")
def system(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[System]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash docker/local/portal.sh --browser` (make test does)"
        )
    prefix = f"test-e2e-{uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("e2e")
    store_path = folder / "events.db"
    env = {
        "CASETRACK_EVENT_STORE": f"sqlite:///{store_path}",
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_INDEX_PREFIX": prefix,
        "CASETRACK_PARTITIONS": str(PARTITIONS),
        "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASETRACK_ES_URL": es_url,
        "CASETRACK_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "api.settings",
    }
    app = Casetrack(env=env)
    seeded = _seed(app)
    read_models = ReadModels(make_client(es_url, timeout_s=30), Names(prefix))
    read_models.ensure_all()
    port = _free_port()
    world = System(
        base_url=f"http://127.0.0.1:{port}", app=app, env=env, store_path=store_path, **seeded
    )
    topics = Topics(prefix)
    try:
        # Made before the projectors subscribe: a consumer that joins before its topic exists
        # sees no partitions until its next metadata refresh (minutes).
        for topic in (topics.events, topics.access):
            kafka_admin.ensure_topic(
                kafka_bootstrap, topic, partitions=PARTITIONS, config={"retention.ms": "-1"}
            )
        # ... and seen in the broker's metadata: under load a consumer asking right after the
        # creation may be told of no partition, and keeps that answer for minutes.
        wait_until(
            lambda: _partitions_visible(kafka_bootstrap, topics.events, PARTITIONS),
            timeout_s=60,
            what=f"{topics.events} in the broker's metadata",
        )
        world.processes.append(manage("relay", env=env, log=folder / "relay.log"))
        world.processes.append(manage("project", "all", env=env, log=folder / "projectors.log"))
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "api.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
            ],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            stdout=open(folder / "gunicorn.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        world.processes.append(gunicorn)

        def serving() -> bool:
            try:
                with urllib.request.urlopen(f"{world.base_url}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(
            serving, timeout_s=60, what=f"gunicorn on port {port} (log: {folder / 'gunicorn.log'})"
        )
        target = app.max_position()

        def caught_up() -> bool:
            try:
                return all(
                    read_models.watermark(name, PARTITIONS) >= target for name in EVENT_PROJECTIONS
                )
            except Exception:
                return False

        wait_until(
            caught_up,
            timeout_s=180,
            interval_s=0.3,
            what="the projections to apply the seeded events",
        )
        yield world
    finally:
        for process in world.processes:
            kill(process)
        for index in read_models.client.indices.get(index=f"{prefix}-*", expand_wildcards="all"):
            read_models.client.indices.delete(index=index)
        admin = kafka_admin.admin_client(kafka_bootstrap)
        try:
            mine = (topics.events, topics.dead_letters, topics.access)
            admin.delete_topics([t for t in mine if t in admin.list_topics()])
        finally:
            admin.close()
        app.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed


@pytest.fixture
def csp_violations() -> list[str]:
    """What Chromium reported on the console as blocked by the Content-Security-Policy, in any
    page a test visits; the `page` fixture fails the test unless it is empty at the end."""
    return []


def _is_csp_violation(text: str) -> bool:
    # Chromium's own console errors: "Refused to execute inline script because it violates the
    # following Content Security Policy directive: ...", "Refused to apply inline style ...",
    # "Refused to load the script ...", "Refused to frame ...".
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def _unprotected_document(response, base_url: str) -> str | None:
    """The URL of a page of ours served without the portal's policy (docs/design.md)."""
    if response.request.resource_type != "document" or not response.url.startswith(base_url):
        return None
    policy = response.headers.get("content-security-policy", "")
    if "script-src 'self'" in policy and "frame-ancestors 'none'" in policy:
        return None
    return response.url


@pytest.fixture
def page(request, browser, system, csp_violations):
    """A fresh tab (its own sessionStorage and cookies) at phone or desktop width. The test
    fails on a script error, on any Content-Security-Policy violation Chromium reports, and on
    any page of ours that came without the policy."""
    context = browser.new_context(
        base_url=system.base_url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    unprotected: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if _is_csp_violation(message.text) else None
        ),
    )
    tab.on(
        "response",
        lambda response: unprotected.extend(
            filter(None, [_unprotected_document(response, system.base_url)])
        ),
    )
    yield tab
    if getattr(request.node, "e2e_failed", False):
        shot(tab, f"FAILED-{request.node.name}")
    context.close()
    assert not errors, f"script errors on the page: {errors}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
    assert not unprotected, f"pages without the Content-Security-Policy: {unprotected}"


def shot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page, role: str, *, option_text: str | None = None) -> None:
    """Through the development sign-in page, as a person would."""
    page.goto("/signin")
    form = page.locator(f"form[data-role='{role}']")
    if option_text is not None:
        select = form.locator("select")
        option = select.locator("option", has_text=option_text)
        option.first.wait_for(state="attached")
        select.select_option(option.first.get_attribute("value"))
    form.get_by_role("button").click()
    page.wait_for_load_state()


AXE = ROOT / "api" / "portal" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and
    best practices). axe is the npm package api/portal/package.json installs (no CDN); it is
    evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern, so the policy stays as strict as in production."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `bash docker/local/portal.sh` (make test does)")
    page.wait_for_load_state("networkidle")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def look(page, name: str) -> None:
    """The page as it is now, at desktop and phone width: a screenshot of each into
    tests/artifacts/, no serious or critical accessibility violation at either width, and
    nothing wider than the phone."""
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        problems = accessibility_problems(page)
        assert not problems, f"{name} at {label} width: {problems}"
        if label == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name}: {width}px wide on a {PHONE['width']}px phone"
        shot(page, f"e2e-{name}-{label}")
    page.set_viewport_size(size)
