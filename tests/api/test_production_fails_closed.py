"""Production fails closed, at start (docs/design.md, "Configuration and the edges").

Every entry point is run for real, as a subprocess with a production environment: `manage.py
check`, the relay, the projectors, a rebuild, the WSGI application's import (what gunicorn
does) and gunicorn itself. A missing or development value stops each of them with a message
naming the variable; a complete configuration starts and serves production tokens from a
JWKS (a local identity provider) while the development endpoints do not exist.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from api.config import Config, StartupRefused, check_start
from domain.identifiers import make_resident_id
from domain.privacy.master import DEV_MASTER_KEYS
from domain.privacy.refs import DEV_BLIND_INDEX_KEY
from domain.store.hashing import DEV_CHECKPOINT_KEY
from tests.support.jwks import AUDIENCE, IdentityProvider, identity_provider

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 120
# Every variable the start checks; the rest of the caller's environment (the local stack's
# URLs, the rate limits a test run sets) passes through.
CHECKED = (
    "CASETRACK_ENV",
    "CASETRACK_JWKS_URL",
    "CASETRACK_JWT_AUDIENCE",
    "CASETRACK_CHECKPOINT_KEY",
    "CASETRACK_MASTER_KEYS",
    "CASETRACK_BLIND_INDEX_KEY",
    "CASETRACK_DEV_JWT_SECRET",
    "CASETRACK_EVENT_STORE",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
)
CLERK = {"department": "market-regulation", "region_code": "510100"}
EVERY_PROBLEM = (
    "CASETRACK_JWKS_URL",
    "CASETRACK_JWT_AUDIENCE",
    "CASETRACK_CHECKPOINT_KEY",
    "CASETRACK_MASTER_KEYS",
    "CASETRACK_BLIND_INDEX_KEY",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
)


def _master_keys() -> str:
    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    with identity_provider() as provider:
        yield provider


@pytest.fixture
def complete(idp, tmp_path) -> dict[str, str]:
    """A production configuration with every required value."""
    return {
        "CASETRACK_ENV": "production",
        "CASETRACK_JWKS_URL": idp.url,
        "CASETRACK_JWT_AUDIENCE": AUDIENCE,
        "CASETRACK_CHECKPOINT_KEY": secrets.token_urlsafe(32),
        "CASETRACK_MASTER_KEYS": _master_keys(),
        "CASETRACK_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "casetrack.example.gov.cn,testserver",
    }


def run(args: list[str], settings: dict[str, str], timeout_s: float = DEADLINE_S):
    env = {k: v for k, v in os.environ.items() if k not in CHECKED}
    env.update(DJANGO_SETTINGS_MODULE="api.settings", PYTHONUNBUFFERED="1", **settings)
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
    )


def manage(*args: str, settings: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], settings)


def without(settings: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in settings.items() if k not in names}


def assert_refused(result: subprocess.CompletedProcess, *variables: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Casetrack refuses to start" in result.stderr, result.stderr
    for variable in variables:
        assert variable in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


# --- each check stops the start ----------------------------------------------------------

DEFECTS = {
    "no JWKS URL": ({}, ("CASETRACK_JWKS_URL",), "CASETRACK_JWKS_URL"),
    "a JWKS over plain http": (
        {"CASETRACK_JWKS_URL": "http://idp.example.gov.cn/jwks.json"},
        (),
        "CASETRACK_JWKS_URL",
    ),
    "no audience": ({}, ("CASETRACK_JWT_AUDIENCE",), "CASETRACK_JWT_AUDIENCE"),
    "no checkpoint key": ({}, ("CASETRACK_CHECKPOINT_KEY",), "CASETRACK_CHECKPOINT_KEY"),
    "the development checkpoint key": (
        {"CASETRACK_CHECKPOINT_KEY": DEV_CHECKPOINT_KEY},
        (),
        "CASETRACK_CHECKPOINT_KEY",
    ),
    "no master keys": ({}, ("CASETRACK_MASTER_KEYS",), "CASETRACK_MASTER_KEYS"),
    "the development master key": (
        {"CASETRACK_MASTER_KEYS": DEV_MASTER_KEYS},
        (),
        "CASETRACK_MASTER_KEYS",
    ),
    "no blind-index key": ({}, ("CASETRACK_BLIND_INDEX_KEY",), "CASETRACK_BLIND_INDEX_KEY"),
    "the development blind-index key": (
        {"CASETRACK_BLIND_INDEX_KEY": DEV_BLIND_INDEX_KEY},
        (),
        "CASETRACK_BLIND_INDEX_KEY",
    ),
    "no Django secret key": ({}, ("DJANGO_SECRET_KEY",), "DJANGO_SECRET_KEY"),
    "the development Django secret key": (
        {"DJANGO_SECRET_KEY": "casetrack-dev-django-secret"},
        (),
        "DJANGO_SECRET_KEY",
    ),
    "no allowed hosts": ({}, ("DJANGO_ALLOWED_HOSTS",), "DJANGO_ALLOWED_HOSTS"),
    "any host allowed": ({"DJANGO_ALLOWED_HOSTS": "*"}, (), "DJANGO_ALLOWED_HOSTS"),
    "a development JWT secret": (
        {"CASETRACK_DEV_JWT_SECRET": "casetrack-dev-secret-change-me-in-production"},
        (),
        "CASETRACK_DEV_JWT_SECRET",
    ),
    "debug pages": ({"DJANGO_DEBUG": "1"}, (), "DJANGO_DEBUG"),
    "a misspelt environment": ({"CASETRACK_ENV": "prod"}, (), "CASETRACK_ENV"),
}


@pytest.mark.parametrize(("change", "remove", "variable"), DEFECTS.values(), ids=DEFECTS.keys())
def test_manage_check_refuses_a_production_with_one_defect_naming_its_variable(
    complete, change, remove, variable
):
    result = manage("check", settings={**without(complete, *remove), **change})
    assert_refused(result, variable)
    assert "System check identified" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["relay"],
        ["project", "all"],
        ["rebuild", "cases"],
        ["issue_token", "--role", "admin"],
    ],
    ids=["check", "relay", "project", "rebuild", "issue_token"],
)
def test_every_command_refuses_an_empty_production_listing_every_problem_at_once(command):
    result = manage(*command, settings={"CASETRACK_ENV": "production"})
    assert_refused(result, *EVERY_PROBLEM)


def test_the_wsgi_application_refuses_to_load_listing_every_problem():
    result = run([sys.executable, "-c", "import api.wsgi"], {"CASETRACK_ENV": "production"})
    assert_refused(result, *EVERY_PROBLEM)
    assert result.returncode == 4  # gunicorn's "App failed to load"


def test_the_wsgi_application_refuses_an_unknown_environment():
    result = run([sys.executable, "-c", "import api.wsgi"], {"CASETRACK_ENV": "staging"})
    assert_refused(result, "CASETRACK_ENV")
    assert "'development', 'test' or 'production'" in result.stderr


def test_gunicorn_halts_with_the_message_instead_of_restarting_workers():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = run(
        [
            str(gunicorn),
            "api.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        {"CASETRACK_ENV": "production"},
    )
    assert result.returncode != 0
    assert "CASETRACK_JWKS_URL" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr
    assert "App failed to load" in result.stderr
    assert result.stderr.count("Booting worker") == 1, result.stderr


# --- a complete production starts --------------------------------------------------------

SERVE = """
import json, os, sys
from uuid import uuid4
import api.wsgi  # what gunicorn imports
from django.test import Client

client = Client()
def bearer(name):
    return {"Authorization": "Bearer " + os.environ[name]}
case = f"/api/v1/cases/{uuid4()}/accept"
answers = {
    "dev_tokens": client.post("/api/v1/dev/tokens", "not json", content_type="application/json"),
    "dev_pay": client.post(f"/api/v1/dev/pay/{uuid4()}", "{}", content_type="application/json"),
    "dev_pay_with_token": client.post(
        "/api/v1/dev/pay/x", "{}", content_type="application/json", headers=bearer("CITIZEN")
    ),
    "rs256": client.post("/api/v1/cases", "{}", content_type="application/json", headers=bearer("GOOD")),
    "eddsa": client.post("/api/v1/cases", "{}", content_type="application/json", headers=bearer("EDDSA")),
    "other_audience": client.post(case, "{}", content_type="application/json", headers=bearer("OTHER_AUD")),
    "no_audience": client.post(case, "{}", content_type="application/json", headers=bearer("NO_AUD")),
    "dev_secret": client.post(case, "{}", content_type="application/json", headers=bearer("DEV")),
    "unknown_host": client.get("/api/v1/openapi.json", HTTP_HOST="evil.example"),
}
paths = json.loads(client.get("/api/v1/openapi.json").content)["paths"]
print(json.dumps({
    "status": {name: r.status_code for name, r in answers.items()},
    "dev_paths": [p for p in paths if "/dev/" in p],
}))
"""


def test_a_complete_production_configuration_passes_manage_check(complete):
    result = manage("check", settings=complete)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_complete_production_serves_identity_provider_tokens_and_has_no_dev_endpoints(
    complete, idp
):
    from api.auth import issue_dev_token

    citizen = make_resident_id("510104", date(1990, 5, 1), 123)
    tokens = {
        "GOOD": idp.token("citizen", citizen, party_id=citizen),
        "CITIZEN": idp.token("citizen", citizen, party_id=citizen),
        "EDDSA": idp.token("citizen", citizen, kid="ed-1", party_id=citizen),
        "OTHER_AUD": idp.token("clerk", "c", aud="another-api", **CLERK),
        "NO_AUD": idp.token("clerk", "c", aud=None, **CLERK),
        "DEV": issue_dev_token(role="admin", sub="a", config=Config(env="development")),
    }
    result = run([sys.executable, "-c", SERVE], {**complete, **tokens})
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    status = answer["status"]
    # Not mounted: 404 before authentication (no token, a citizen's) or body validation.
    assert status["dev_tokens"] == status["dev_pay"] == status["dev_pay_with_token"] == 404
    assert answer["dev_paths"] == []
    # The provider's tokens pass authentication (then the empty body is 422) ...
    assert status["rs256"] == status["eddsa"] == 422
    # ... a token for another audience, without one, or signed with the dev secret does not.
    assert status["other_audience"] == status["no_audience"] == status["dev_secret"] == 401
    assert status["unknown_host"] == 400


# --- the rules themselves, every variant -------------------------------------------------


def production(**values) -> Config:
    base = {
        "env": "production",
        "jwks_url": "https://idp.example.gov.cn/.well-known/jwks.json",
        "jwt_audience": AUDIENCE,
        "checkpoint_key": secrets.token_urlsafe(32),
        "master_keys": _master_keys(),
        "blind_index_key": secrets.token_urlsafe(32),
        "django_secret_key": secrets.token_urlsafe(50),
        "django_allowed_hosts": "casetrack.example.gov.cn",
    }
    return Config(**{**base, **values})


def test_a_complete_configuration_has_no_problems_and_development_is_never_checked():
    assert production().production_problems() == []
    check_start(production())
    assert Config(env="development").production_problems() == []
    assert Config(env="test").production_problems() == []


@pytest.mark.parametrize("value", ["Production", "prod", "staging", ""])
def test_only_the_three_environments_are_accepted(monkeypatch, value):
    from api.config import get_config

    monkeypatch.setenv("CASETRACK_ENV", value)
    get_config.cache_clear()
    try:
        with pytest.raises(StartupRefused) as refused:
            get_config()
    finally:
        monkeypatch.undo()
        get_config.cache_clear()
    assert refused.value.problems[0].startswith("CASETRACK_ENV: Input should be 'development'")


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"jwks_url": "ftp://idp.example.gov.cn/jwks"}, "CASETRACK_JWKS_URL"),
        ({"jwks_url": "http://10.0.0.5/jwks"}, "CASETRACK_JWKS_URL"),
        ({"checkpoint_key": "short-key"}, "CASETRACK_CHECKPOINT_KEY"),
        ({"blind_index_key": "short-key"}, "CASETRACK_BLIND_INDEX_KEY"),
        ({"django_secret_key": "x" * 60}, "DJANGO_SECRET_KEY"),
        ({"django_secret_key": "django-insecure-" + "k" * 50}, "DJANGO_SECRET_KEY"),
        ({"django_secret_key": secrets.token_urlsafe(20)}, "DJANGO_SECRET_KEY"),
        ({"django_allowed_hosts": " , "}, "DJANGO_ALLOWED_HOSTS"),
        ({"django_allowed_hosts": "casetrack.example.gov.cn,*"}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_weak_or_unsafe_values_are_refused(values, variable):
    with pytest.raises(StartupRefused) as refused:
        check_start(production(**values))
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(variable)


def test_plain_http_is_accepted_for_a_jwks_on_this_machine_only():
    assert production(jwks_url="http://127.0.0.1:8080/jwks").production_problems() == []
    assert production(jwks_url="http://localhost/jwks").production_problems() == []


def test_secrets_are_never_echoed_in_the_refusal():
    result = manage(
        "check",
        settings={"CASETRACK_EVENT_STORE": "postgress://casetrack:s3cr3t-pw@db/casetrack"},
    )
    assert_refused(result, "CASETRACK_EVENT_STORE")
    assert "s3cr3t-pw" not in result.stderr


def test_a_refused_relay_creates_nothing(complete):
    """The refusal comes before any work: the relay never opens (creates) its event store."""
    store = Path(complete["CASETRACK_EVENT_STORE"].removeprefix("sqlite:///"))
    result = manage("relay", settings=without(complete, "CASETRACK_CHECKPOINT_KEY"))
    assert_refused(result, "CASETRACK_CHECKPOINT_KEY")
    assert not store.exists()
