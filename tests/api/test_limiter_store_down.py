"""With the rate limiter's Redis gone, limited requests fail closed (docs/design.md, "The
limiter"): 503 problem+json with `Retry-After`, at once, and nothing recorded; the probes still
answer; once Redis is back, requests are served again without a restart.
"""

from __future__ import annotations

import time

import orjson
import pytest
from django.test import Client

from tests.api.conftest import APPLICANT, CITIZEN, ITEM
from tests.support import stack
from tests.support.stack import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not stack.is_local("redis"), reason="stops a server only on the local stack"
    ),
]


def limiter_refuses(response) -> bool:
    return response.status_code == 503 and b"rate limiter" in response.content


def test_limited_requests_answer_503_while_redis_is_down_and_are_served_once_it_is_back(
    catalogue,
):
    body = {"item_code": ITEM, "applicant": APPLICANT, "channel": "web", "materials": []}
    assert catalogue.post("/cases", body, as_=CITIZEN).status == 201
    before = catalogue.app.max_position()
    stack.stop("redis")
    try:
        for path in ("/api/v1/licences/SCL-2026-510100-00000001/verify", "/api/v1/catalog/items"):
            started = time.monotonic()
            answer = Client().get(path)
            assert limiter_refuses(answer), answer.content
            assert time.monotonic() - started < 2, "a limiter that cannot answer must not hang"
            assert answer["Content-Type"] == "application/problem+json"
            assert int(answer["Retry-After"]) >= 1
            assert orjson.loads(answer.content)["type"].endswith("/service-unavailable")
        refused = catalogue.post("/cases", body, as_=CITIZEN)
        assert refused.status == 503 and "rate limiter" in refused.problem["detail"]
        assert catalogue.app.max_position() == before, "nothing was recorded"
        assert Client().get("/healthz").status_code == 200, "the probes are not limited"
    finally:
        stack.start("redis")
    wait_until(
        lambda: catalogue.post("/cases", body, as_=CITIZEN).status == 201,
        timeout_s=30,
        what="commands to be served again once Redis is back",
    )
