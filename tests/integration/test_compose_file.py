"""The production-like compose file parses, interpolates and validates as Docker Compose does.

`docker/compose-check.sh` builds the real Compose CLI from its Go module (once; cached under
var/tools/) and runs `docker compose -f <file> config`. No Docker engine is needed.
Cold (empty Go caches) the first test pays the build, about 1.5-2 minutes on 2 cores; warm,
each check takes well under a second.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yml"
CHECK = ROOT / "docker" / "compose-check.sh"

# Dummy values: the check must not depend on a real docker/.env (or on the caller's shell).
SECRETS = {
    "DJANGO_SECRET_KEY": "test-django-secret-key",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "ELASTIC_PASSWORD": "test-elastic-password",
    "CASETRACK_ES_PASSWORD": "test-casetrack-es-password",
    "CASETRACK_CHECKPOINT_KEY": "test-checkpoint-key",
    "CASETRACK_MASTER_KEYS": "k1:" + "A" * 43 + "=",
    "CASETRACK_BLIND_INDEX_KEY": "test-blind-index-key",
    "CASETRACK_JWKS_URL": "https://idp.test/.well-known/jwks.json",
    "CASETRACK_JWT_AUDIENCE": "test-casetrack-api",
}
PROJECTIONS = (
    "cases",
    "payments",
    "licences",
    "catalog",
    "violations",
    "reconciliations",
    "access",
)

needs_go = pytest.mark.skipif(
    shutil.which("go") is None and not any((ROOT / "var" / "tools").glob("docker-compose-*")),
    reason="building the Compose CLI needs the Go toolchain",
)


def run_check(
    tmp_path: Path,
    compose_file: Path = COMPOSE,
    *,
    secrets: dict[str, str] = SECRETS,
    fmt: str = "json",
) -> subprocess.CompletedProcess:
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("COMPOSE_")}
    env["COMPOSE_ENV_FILES"] = str(env_file)  # replaces docker/.env, if a developer has one
    return subprocess.run(
        ["bash", str(CHECK), str(compose_file), "--", "--format", fmt],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=880,
    )


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = COMPOSE.read_text()
    assert old in text, f"the fixture edit no longer matches docker/compose.yml: {old!r}"
    copy = tmp_path / "compose.yml"
    copy.write_text(text.replace(old, new, 1))
    return copy


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    result = run_check(tmp_path_factory.mktemp("compose"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_go
def test_the_file_is_valid_and_lists_every_service(config):
    services = set(config["services"])
    expected = {"api", "relay", "kafka", "elasticsearch", "postgres"} | {
        f"projector-{p}" for p in PROJECTIONS
    }
    assert expected <= services
    assert config["services"]["relay"]["command"] == ["python", "manage.py", "relay"]
    assert config["services"]["relay"]["deploy"]["replicas"] == 1
    for projection in PROJECTIONS:
        assert config["services"][f"projector-{projection}"]["command"] == [
            "python",
            "manage.py",
            "project",
            projection,
        ]


@needs_go
def test_elasticsearch_has_security_and_tls_on(config):
    es = config["services"]["elasticsearch"]
    env = es["environment"]
    assert env["xpack.security.enabled"] == "true"
    assert env["xpack.security.http.ssl.enabled"] == "true"
    assert env["xpack.security.transport.ssl.enabled"] == "true"
    assert "ELASTIC_PASSWORD" not in env, "the superuser password is a secret file, not an env var"
    assert env["ELASTIC_PASSWORD_FILE"] == "/run/secrets/elastic_password"
    assert config["services"]["api"]["environment"]["CASETRACK_ES_URL"].startswith(
        "https://casetrack:"
    )


@needs_go
def test_apps_are_configured_for_production_and_wait_for_healthy_dependencies(config):
    for name in ["api", "relay"] + [f"projector-{p}" for p in PROJECTIONS]:
        service = config["services"][name]
        env = service["environment"]
        assert env["CASETRACK_ENV"] == "production"
        assert env["CASETRACK_EVENT_STORE"].startswith("postgresql://")
        assert env["CASETRACK_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["DJANGO_SECRET_KEY"] == SECRETS["DJANGO_SECRET_KEY"]
        assert env["CASETRACK_CHECKPOINT_KEY"] == SECRETS["CASETRACK_CHECKPOINT_KEY"]
        assert env["CASETRACK_JWKS_URL"] == SECRETS["CASETRACK_JWKS_URL"]
        assert env["CASETRACK_JWT_AUDIENCE"] == SECRETS["CASETRACK_JWT_AUDIENCE"]
        assert "*" not in env["DJANGO_ALLOWED_HOSTS"].split(",")
        assert service["build"]["dockerfile"] == "docker/Dockerfile"
        assert "healthcheck" in service
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert (
            conditions["postgres"]
            == conditions["kafka"]
            == conditions["elasticsearch"]
            == "service_healthy"
        )
    for infra in ("postgres", "kafka", "elasticsearch"):
        assert "healthcheck" in config["services"][infra]


@needs_go
def test_no_literal_password_in_the_file():
    text = COMPOSE.read_text()
    for value in SECRETS.values():
        assert value not in text


@needs_go
@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        pytest.param(
            "  api:\n    <<: *app\n",
            "  api:\n    <<: *app\n    restartt: always\n",
            "restartt",
            id="unknown-service-field",
        ),
        pytest.param(
            "    es-setup:\n      condition: service_completed_successfully\n",
            "    es-setupp:\n      condition: service_completed_successfully\n",
            "es-setupp",
            id="depends-on-undefined-service",
        ),
        pytest.param(
            "    kafka:\n      condition: service_healthy\n",
            "    kafka:\n      condition: service_ready\n",
            "condition",
            id="depends-on-bad-condition",
        ),
    ],
)
def test_a_broken_file_is_rejected(tmp_path, old, new, complaint):
    result = run_check(tmp_path, broken_copy(tmp_path, old, new))
    assert result.returncode != 0, result.stdout[:2000]
    assert complaint in result.stderr


@needs_go
def test_a_missing_secret_is_rejected_with_its_message(tmp_path):
    secrets = {k: v for k, v in SECRETS.items() if k != "ELASTIC_PASSWORD"}
    result = run_check(tmp_path, secrets=secrets)
    assert result.returncode != 0
    assert "required variable ELASTIC_PASSWORD is missing a value" in result.stderr
