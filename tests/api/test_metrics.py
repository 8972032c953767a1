"""`GET /metrics` answers in Prometheus' text format with request, command and pipeline figures."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from api import metrics
from api.config import get_config
from tests.api.conftest import ITEM
from tests.support.jwks import AUDIENCE, IdentityProvider, identity_provider

ROOT = Path(__file__).resolve().parents[2]


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)\{(.*)\} (\S+)$", line) or re.match(r"^(\w+)() (\S+)$", line)
        if match and match.group(1) == name:
            got = ",".join(sorted(match.group(2).split(","))) if match.group(2) else ""
            if got == wanted:
                return float(match.group(3))
    return 0.0


def test_requests_and_commands_are_counted_and_the_store_position_is_exposed(http, app):
    client = Client()
    before = client.get("/metrics").content.decode()
    http.publish(ITEM)
    client.get("/healthz")
    after = client.get("/metrics")
    text = after.content.decode()

    assert after.status_code == 200 and after["Content-Type"].startswith("text/plain")
    assert (
        _value(
            text,
            "casetrack_http_request_duration_seconds_count",
            method="GET",
            route="healthz",
            status="200",
        )
        == _value(
            before,
            "casetrack_http_request_duration_seconds_count",
            method="GET",
            route="healthz",
            status="200",
        )
        + 1
    )
    route = "api/v1/catalog/items"
    assert (
        _value(text, "casetrack_commands_total", route=route, outcome="2xx")
        == _value(before, "casetrack_commands_total", route=route, outcome="2xx") + 1
    )
    assert _value(text, "casetrack_event_store_position") == app.max_position() > 0


# In production /metrics is for Prometheus' scrape token or an admin (docs/api.md, Operations).

SCRAPE_TOKEN = "s" * 40


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    with identity_provider() as provider:
        yield provider


@pytest.fixture
def production(monkeypatch, idp):
    monkeypatch.setenv("CASETRACK_ENV", "production")
    monkeypatch.setenv("CASETRACK_JWKS_URL", idp.url)
    monkeypatch.setenv("CASETRACK_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("CASETRACK_METRICS_TOKEN", SCRAPE_TOKEN)
    get_config.cache_clear()
    metrics.scrape_token.cache_clear()
    yield
    get_config.cache_clear()
    metrics.scrape_token.cache_clear()


def _scrape(token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get("/metrics", **headers)


def test_production_answers_401_to_a_scrape_without_the_token(production):
    for token in (None, "s" * 39, SCRAPE_TOKEN + "x", "not-a-jwt"):
        answer = _scrape(token)
        assert answer.status_code == 401, token
        assert answer["Content-Type"] == "application/problem+json"
        assert answer["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"casetrack_" not in answer.content


def test_production_serves_prometheus_with_the_scrape_token(production):
    answer = _scrape(SCRAPE_TOKEN)
    assert answer.status_code == 200
    assert b"casetrack_http_request_duration_seconds" in answer.content


def test_production_serves_an_admin_and_refuses_other_roles(production, idp):
    assert _scrape(idp.token("admin", "admin-p")).status_code == 200
    assert _scrape(idp.token("analyst", "analyst-p")).status_code == 401


def test_a_production_start_with_a_short_scrape_token_refuses_naming_it(idp, tmp_path):
    settings = {
        "CASETRACK_ENV": "production",
        "CASETRACK_JWKS_URL": idp.url,
        "CASETRACK_JWT_AUDIENCE": AUDIENCE,
        "CASETRACK_CHECKPOINT_KEY": secrets.token_urlsafe(32),
        "CASETRACK_MASTER_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "CASETRACK_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "casetrack.example.gov.cn",
        "CASETRACK_METRICS_TOKEN": "short",
        "DJANGO_SETTINGS_MODULE": "api.settings",
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CASETRACK_", "DJANGO_"))}
    start = subprocess.run(
        [sys.executable, "-c", "import api.wsgi"],  # what gunicorn imports
        cwd=ROOT,
        env={**inherited, **settings},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert start.returncode == 4, start.stderr  # gunicorn's "App failed to load"
    assert "CASETRACK_METRICS_TOKEN must be at least 32 characters" in start.stderr
    assert "Traceback" not in start.stderr


def test_development_serves_metrics_to_anyone():
    assert _scrape().status_code == 200
