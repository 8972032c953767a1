"""`consistent_after` on the public endpoints, against a live Casetrack (docs/api.md,
"Consistency"): a position a command answered is read back consistent; a position beyond the
event store's head is 422 at once, without holding a worker for the 5 s bound."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import orjson
import pytest
from django.test import Client

from tests.api.conftest import ADMIN, item_body
from tests.support.live import Live, live_casetrack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live(tmp_path_factory, kafka_bootstrap, es_url) -> Iterator[Live]:
    with live_casetrack(
        tmp_path_factory.mktemp("bounds"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="bounds",
    ) as live:
        yield live


def get(path: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = Client().get(f"/api/v1{path}")
    return response.status_code, orjson.loads(response.content), time.monotonic() - started


def test_a_position_a_command_answered_is_read_back_consistent_on_an_anonymous_endpoint(live):
    code = f"510100-XK-{uuid.uuid4().hex[:6].upper()}"
    published = Client().post(
        "/api/v1/catalog/items",
        data=orjson.dumps(item_body(code)),
        content_type="application/json",
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert published.status_code == 201, published.content
    position = orjson.loads(published.content)["position"]
    status, item, _ = get(f"/catalog/items/{code}?consistent_after={position}")
    assert status == 200, item
    assert item["consistent"] is True and item["code"] == code


@pytest.mark.parametrize(
    "path",
    [
        "/catalog/items?consistent_after={beyond}",
        "/catalog/items/510100-XK-0001?consistent_after={beyond}",
        "/licences/SCL-2026-510100-00000001/verify?consistent_after={beyond}",
    ],
)
@pytest.mark.parametrize("ahead", [1, 2**62], ids=["just-past-the-head", "far-past-the-head"])
def test_a_position_beyond_the_head_is_refused_at_once(live, path, ahead):
    beyond = min(live.app.max_position() + ahead, 2**62)
    status, problem, took_s = get(path.format(beyond=beyond))
    assert status == 422, problem
    assert problem["errors"] == [
        {"field": "consistent_after", "message": problem["errors"][0]["message"]}
    ]
    assert "beyond the last position" in problem["detail"]
    assert took_s < 1.0, f"took {took_s:.2f} s: the wait bound is 5 s, a refusal is at once"
