"""Production settings switch the portal's development helpers off (no browser needed)."""

from __future__ import annotations

import pytest
from django.test import Client

from api.config import get_config


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("CASETRACK_ENV", "production")
    monkeypatch.setenv("CASETRACK_JWKS_URL", "http://127.0.0.1:9/never-fetched-by-these-pages")
    get_config.cache_clear()
    yield
    get_config.cache_clear()


def test_production_has_no_demo_sign_in_people_or_pay_button(production):
    client = Client()
    signin = client.get("/signin").content.decode()
    assert "signin.js" not in signin and 'data-role="citizen"' not in signin
    assert 'data-dev="0"' in signin
    assert client.get("/portal/dev/people").status_code == 404
    assert (
        client.post(
            "/api/v1/dev/tokens", data={"role": "citizen"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert 'data-dev="0"' in client.get("/me").content.decode()


def test_development_offers_them():
    client = Client()
    signin = client.get("/signin").content.decode()
    assert "signin.js" in signin and 'data-dev="1"' in signin
