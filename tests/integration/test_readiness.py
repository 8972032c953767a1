"""`/readyz` tells orchestrators the truth about the real dependencies, tells strangers nothing
more than that, and costs one round of checks per few seconds however often it is asked
(docs/api.md, Operations)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.test import Client

from api import health
from api.auth import issue_dev_token
from api.config import get_config
from tests.support import stack
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration

ADMIN = issue_dev_token(role="admin", sub="admin-readyz")
CLERK = issue_dev_token(role="clerk", sub="clerk-readyz", department="tax", region_code="510100")


@pytest.fixture(autouse=True)
def fresh_answers():
    health.check_dependencies.cache_clear()
    yield
    health.check_dependencies.cache_clear()


def _readyz(token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client().get("/readyz", **headers)
    return response.status_code, response.json()


def _rounds() -> int:
    return health.check_dependencies.cache_info().misses


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_elasticsearch(monkeypatch):
    monkeypatch.setenv("CASETRACK_ES_URL", f"http://127.0.0.1:{_closed_port()}")
    get_config.cache_clear()
    yield
    get_config.cache_clear()


def test_ready_when_the_event_store_kafka_and_elasticsearch_answer():
    status, body = _readyz(ADMIN)
    assert status == 200, body
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "event_store",
        "kafka",
        "elasticsearch",
    }


def test_anonymous_callers_and_non_admins_get_the_status_only():
    assert _readyz() == (200, {"status": "ready"})
    assert _readyz(CLERK) == (200, {"status": "ready"})
    assert _readyz("not-a-token") == (200, {"status": "ready"})
    assert set(_readyz(ADMIN)[1]) == {"status", "checks"}


def test_a_dependency_down_is_503_with_its_reason_for_an_admin_only(dead_elasticsearch):
    status, body = _readyz()
    assert (status, body) == (503, {"status": "unavailable"})

    status, body = _readyz(ADMIN)
    assert status == 503
    assert body["checks"]["elasticsearch"]["ok"] is False
    assert "Connection" in body["checks"]["elasticsearch"]["detail"]
    assert body["checks"]["kafka"]["ok"] is body["checks"]["event_store"]["ok"] is True


def test_a_burst_of_concurrent_probes_costs_one_round_of_checks():
    callers = 24
    start = threading.Barrier(callers)
    answers: list[int] = []

    def probe():
        start.wait()
        answers.append(Client().get("/readyz").status_code)

    threads = [threading.Thread(target=probe) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [200] * callers
    assert _rounds() == 1


def test_the_answer_is_kept_for_a_few_seconds_then_checked_again():
    _readyz()
    checked_at = time.monotonic()
    _readyz()
    _readyz(ADMIN)
    assert _rounds() == 1

    wait_until(
        lambda: _readyz()[0] == 200 and _rounds() == 2,
        timeout_s=health.FRESH_S + 5,
        what="a second round of checks",
    )
    assert time.monotonic() - checked_at >= health.FRESH_S - 0.5


def test_the_clients_are_kept_between_rounds_and_a_broken_one_is_replaced(postgres_url):
    cfg = get_config()
    kafka_target = (cfg.kafka_bootstrap, cfg.readiness_timeout_s)
    store_target = (postgres_url, cfg.readiness_timeout_s)

    def round_on_postgres() -> dict:
        health.check_dependencies.cache_clear()
        return health.check_dependencies(
            postgres_url, cfg.kafka_bootstrap, cfg.es_url, cfg.es_ca_certs, cfg.readiness_timeout_s
        )

    assert all(c["ok"] for c in round_on_postgres().values())
    admin = health._kafka_admins._clients[kafka_target]
    connection = health._postgres._clients[store_target]
    assert all(c["ok"] for c in round_on_postgres().values())
    assert health._kafka_admins._clients[kafka_target] is admin
    assert health._postgres._clients[store_target] is connection

    # A connection the server dropped (idle timeout, restart) is not an outage: a new one
    # answers the same round.
    connection.close()
    assert round_on_postgres()["event_store"]["ok"] is True
    assert health._postgres._clients[store_target] is not connection


def test_a_dependency_that_cannot_be_reached_keeps_no_client(postgres_url):
    cfg = get_config()
    dead = f"postgresql://casetrack:casetrack@127.0.0.1:{_closed_port()}/casetrack"
    checks = health.check_dependencies(
        dead, cfg.kafka_bootstrap, cfg.es_url, cfg.es_ca_certs, cfg.readiness_timeout_s
    )
    assert checks["event_store"]["ok"] is False
    assert (dead, cfg.readiness_timeout_s) not in health._postgres._clients


@pytest.mark.slow
@pytest.mark.skipif(not stack.is_local("kafka"), reason="stops a server only on the local stack")
def test_unavailable_while_kafka_is_stopped_and_ready_again_when_it_is_back():
    stack.stop("kafka")
    try:
        # A stopped dependency shows within the answer's lifetime plus one round.
        wait_until(
            lambda: _readyz()[0] == 503,
            timeout_s=health.FRESH_S + 3 * get_config().readiness_timeout_s + 5,
            what="/readyz to be 503",
        )
        status, body = _readyz(ADMIN)
        assert status == 503
        assert body["checks"]["kafka"]["ok"] is False
        assert body["checks"]["event_store"]["ok"] is True
        assert _readyz() == (503, {"status": "unavailable"})
    finally:
        stack.start("kafka")
    wait_until(lambda: _readyz()[0] == 200, timeout_s=60, what="/readyz to be 200 again")
