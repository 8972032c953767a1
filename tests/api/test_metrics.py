"""`GET /metrics` answers in Prometheus' text format with request, command and pipeline figures."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from api import metrics
from api.config import get_config
from tests.api.conftest import ITEM


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
AUDIENCE = "casetrack-metrics-test"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[str, object]]:
    """A JWKS on loopback with one RSA key, as the province's identity service publishes it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1"}
    body = orjson.dumps({"keys": [{**jwk, "use": "sig", "alg": "RS256"}]})

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


def _production_token(key, role: str, **claims) -> str:
    now = int(time.time())
    body = {"iss": "casetrack", "aud": AUDIENCE, "sub": f"{role}-p", "role": role, "iat": now}
    return jwt.encode({**body, "exp": now + 600, **claims}, key, "RS256", headers={"kid": "k1"})


@pytest.fixture
def production(monkeypatch, identity_provider):
    url, _ = identity_provider
    monkeypatch.setenv("CASETRACK_ENV", "production")
    monkeypatch.setenv("CASETRACK_JWKS_URL", url)
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


def test_production_serves_an_admin_and_refuses_other_roles(production, identity_provider):
    _, key = identity_provider
    assert _scrape(_production_token(key, "admin")).status_code == 200
    assert _scrape(_production_token(key, "analyst")).status_code == 401


def test_a_scrape_token_shorter_than_32_characters_stops_the_start(monkeypatch):
    monkeypatch.setenv("CASETRACK_METRICS_TOKEN", "short")
    metrics.scrape_token.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="CASETRACK_METRICS_TOKEN"):
            metrics.scrape_token()
    finally:
        metrics.scrape_token.cache_clear()


def test_development_serves_metrics_to_anyone():
    assert _scrape().status_code == 200
