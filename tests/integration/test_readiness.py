"""`/readyz` tells the truth about the real dependencies."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support import stack
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def _readyz():
    response = Client().get("/readyz")
    return response.status_code, response.json()


def test_ready_when_the_event_store_kafka_and_elasticsearch_answer():
    status, body = _readyz()
    assert status == 200, body
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "event_store",
        "kafka",
        "elasticsearch",
    }


@pytest.mark.slow
@pytest.mark.skipif(not stack.is_local("kafka"), reason="stops a server only on the local stack")
def test_unavailable_while_kafka_is_stopped_and_ready_again_when_it_is_back():
    stack.stop("kafka")
    try:
        status, body = _readyz()
        assert status == 503
        assert body["checks"]["kafka"]["ok"] is False
        assert body["checks"]["event_store"]["ok"] is True
    finally:
        stack.start("kafka")
    wait_until(lambda: _readyz()[0] == 200, timeout_s=60, what="/readyz to be 200 again")
