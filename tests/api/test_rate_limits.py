"""Rate limits (docs/api.md, "Rate limits"): per client address without a token, per token `sub`
with one; 429 problem+json with `Retry-After`; counted in the local Redis, before the view runs.

Each test sets low limits of its own and counts under identities no other test uses (a fresh
address, a fresh `sub`), so windows left in Redis by earlier runs never interfere.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator

import orjson
import pytest
from django.test import Client

from api import throttle
from api.config import get_config
from tests.api.conftest import APPLICANT, ITEM, token

LIMITED_ONE_A_MINUTE = "https://casetrack.example/problems/too-many-requests"


@pytest.fixture
def limits() -> Iterator:
    """`limits(verify="3/minute", ...)` sets those limits for the rest of the test."""
    with pytest.MonkeyPatch.context() as env:

        def set_limits(**rates: str) -> None:
            for name, rate in rates.items():
                env.setenv(f"CASETRACK_RATE_LIMIT_{name.upper()}", rate)
            get_config.cache_clear()

        yield set_limits
    get_config.cache_clear()


def address() -> str:
    """An address of the benchmarking range (RFC 2544) that no other test counts under."""
    return f"198.{random.randint(18, 19)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def get(path: str, *, at: str, bearer: str | None = None, **headers: str):
    meta = {"REMOTE_ADDR": at, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    if bearer:
        meta["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return Client().get(path, **meta)


def served(response) -> bool:
    """The view ran: whatever it answered (this app has no read models), it was not refused."""
    return response.status_code != 429 and b"rate limiter" not in response.content


def assert_limited(response, *, at_most_s: int) -> dict:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = orjson.loads(response.content)
    assert body["type"] == LIMITED_ONE_A_MINUTE and body["status"] == 429
    assert 1 <= int(response["Retry-After"]) <= at_most_s
    return body


def test_public_verification_is_refused_past_its_limit_per_address_whatever_it_would_answer(
    http, limits
):
    limits(verify="3/minute")
    mine, other = address(), address()
    # An unknown number, a wrong code, no code: every one counts, before it is answered.
    paths = [
        "/api/v1/licences/SCL-2026-510100-00000001/verify",
        "/api/v1/licences/SCL-2026-510100-00000002/verify?code=WRONG",
        "/api/v1/licences/not-a-number/verify",
    ]
    for path in paths:
        assert served(get(path, at=mine))
    refused = get("/api/v1/licences/SCL-2026-510100-00000003/verify?code=X", at=mine)
    body = assert_limited(refused, at_most_s=60)
    assert "at most 3 per minute" in body["detail"]
    assert served(get(paths[0], at=other)), "another address has its own count"


def test_anonymous_reads_are_limited_per_address_and_a_refused_token_counts_as_anonymous(
    http, limits
):
    limits(anonymous="2/minute")
    mine = address()
    assert served(get("/api/v1/catalog/items", at=mine))
    assert served(get("/api/v1/openapi.json", at=mine, bearer="not-a-token"))
    assert_limited(get("/api/v1/catalog/items/510100-XK-0001", at=mine), at_most_s=60)
    # A signed-in caller from the same address counts under their own `sub`.
    staff = token("auditor", f"auditor-{uuid.uuid4().hex[:8]}")
    assert served(get("/api/v1/catalog/items", at=mine, bearer=staff))


def test_search_and_commands_are_limited_per_sub_and_a_refused_command_appends_nothing(
    catalogue, limits
):
    limits(search="2/minute", commands="2/minute")
    sub = f"citizen-{uuid.uuid4().hex[:8]}"
    citizen = token("citizen", sub, party_id=APPLICANT["party_id"])
    body = {"item_code": ITEM, "applicant": APPLICANT, "channel": "web", "materials": []}
    for _ in range(2):
        assert catalogue.post("/cases", body, as_=citizen).status == 201
    before = catalogue.app.max_position()
    refused = catalogue.post("/cases", body, as_=citizen)
    assert refused.status == 429 and refused.problem["type"] == LIMITED_ONE_A_MINUTE
    assert int(refused.headers["Retry-After"]) >= 1
    assert catalogue.app.max_position() == before, "a refused command appends nothing"

    at = address()
    for _ in range(2):
        assert served(get("/api/v1/search?q=x", at=at, bearer=citizen))
    assert_limited(get("/api/v1/search?q=x", at=at, bearer=citizen), at_most_s=60)
    # Other reads of the same `sub`, and other callers' searches, are counted apart.
    assert served(get("/api/v1/me/cases", at=at, bearer=citizen))
    clerk = token("clerk", f"clerk-{uuid.uuid4().hex[:8]}", department="x", region_code="510100")
    assert served(get("/api/v1/search?q=x", at=at, bearer=clerk))


def test_retry_after_tells_when_the_next_request_is_accepted(http, limits):
    limits(anonymous="1/2 seconds")
    mine = address()
    assert served(get("/api/v1/catalog/items", at=mine))
    refused = get("/api/v1/catalog/items", at=mine)
    assert_limited(refused, at_most_s=2)
    time.sleep(int(refused["Retry-After"]))  # the wait the answer asked for, and no more
    assert served(get("/api/v1/catalog/items", at=mine))


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(http, limits, monkeypatch):
    monkeypatch.setenv("CASETRACK_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    limits(anonymous="1/minute")
    proxy, client = "10.1.2.3", address()
    # Behind the proxy, each client is counted apart; a hop it appended for another trusted
    # proxy is skipped, and what the client wrote itself (left of it) is not believed.
    assert served(get("/api/v1/catalog/items", at=proxy, x_forwarded_for=client))
    assert_limited(
        get("/api/v1/catalog/items", at=proxy, x_forwarded_for=f"1.2.3.4, {client}, 192.0.2.7"),
        at_most_s=60,
    )
    assert served(get("/api/v1/catalog/items", at=proxy, x_forwarded_for=address()))
    # An untrusted peer's header is ignored: it is counted by its own address.
    stranger = address()
    assert served(get("/api/v1/catalog/items", at=stranger, x_forwarded_for=address()))
    assert_limited(
        get("/api/v1/catalog/items", at=stranger, x_forwarded_for=address()), at_most_s=60
    )


def test_a_refusal_is_remembered_until_the_window_frees_so_a_flood_costs_no_redis_call(
    limits, monkeypatch
):
    limits(verify="2/minute")
    limiter = throttle.limiter()
    caller = "address:" + address()
    assert limiter.hit("verify", caller) is None and limiter.hit("verify", caller) is None
    first = limiter.hit("verify", caller)
    assert first is not None and 1 <= first.retry_after_s <= 60

    class Unreachable:
        def hit(self, *args, **kwargs):
            raise AssertionError("a remembered refusal asks Redis nothing")

        get_window_stats = hit

    monkeypatch.setattr(limiter, "strategy", Unreachable())
    again = limiter.hit("verify", caller)
    assert again is not None and again.retry_after_s <= first.retry_after_s


def test_every_operation_documents_429_as_a_problem(http):
    spec = orjson.loads(get("/api/v1/openapi.json", at=address()).content)
    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()]
    assert len(operations) > 40
    for path, operation in operations:
        answer = operation["responses"].get("429")
        assert answer and "application/problem+json" in answer["content"], path
