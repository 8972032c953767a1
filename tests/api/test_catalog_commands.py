"""Catalogue commands over HTTP (admin only)."""

from __future__ import annotations

import pytest

from .conftest import ADMIN, ANALYST, AUDITOR, CITIZEN, CLERK, GATEWAY, ITEM, item_body


def test_an_admin_publishes_revises_and_withdraws_an_item(http, app):
    published = http.post("/catalog/items", item_body(), as_=ADMIN)
    assert published.status == 201
    assert published.body == {
        "code": ITEM,
        "version": 1,
        "position": app.max_position(),
        "status": "published",
        "revision": 1,
    }
    terms = {k: v for k, v in item_body(promised_days=3).items() if k != "code"}
    revised = http.put(f"/catalog/items/{ITEM}", {**terms, "expected_version": 1}, as_=ADMIN)
    assert (revised.status, revised.body["revision"], revised.body["version"]) == (200, 2, 2)
    withdrawn = http.delete(f"/catalog/items/{ITEM}?reason=合并事项&expected_version=2", as_=ADMIN)
    assert (withdrawn.status, withdrawn.body["status"]) == (200, "withdrawn")


def test_a_duplicate_code_is_409(http, app):
    http.publish()
    before = app.max_position()
    assert http.post("/catalog/items", item_body(), as_=ADMIN).status == 409
    assert app.max_position() == before


@pytest.mark.parametrize(
    "caller",
    [CITIZEN, CLERK, GATEWAY, AUDITOR, ANALYST],
    ids=["citizen", "clerk", "gateway", "auditor", "analyst"],
)
def test_only_admins_change_the_catalogue(http, app, caller):
    http.publish()
    before = app.max_position()
    assert http.post("/catalog/items", item_body("510100-XK-0003"), as_=caller).status == 403
    terms = {k: v for k, v in item_body().items() if k != "code"}
    assert http.put(f"/catalog/items/{ITEM}", terms, as_=caller).status == 403
    assert http.delete(f"/catalog/items/{ITEM}", as_=caller).status == 403
    assert app.max_position() == before


def test_a_stale_revision_is_409_with_the_current_version(http, app):
    http.publish()
    terms = {k: v for k, v in item_body().items() if k != "code"}
    assert http.put(f"/catalog/items/{ITEM}", terms, as_=ADMIN).status == 200
    stale = http.put(f"/catalog/items/{ITEM}", {**terms, "expected_version": 1}, as_=ADMIN)
    assert stale.status == 409 and "current version is 2" in stale.problem["detail"]


def test_revising_a_missing_item_is_404_and_a_malformed_code_422(http):
    terms = {k: v for k, v in item_body().items() if k != "code"}
    assert http.put("/catalog/items/510100-XK-0404", terms, as_=ADMIN).status == 404
    malformed = http.delete("/catalog/items/not-a-code", as_=ADMIN)
    assert malformed.status == 422 and malformed.problem["errors"][0]["field"] == "code"


def test_withdrawing_twice_is_409_with_the_status(http):
    http.publish()
    assert http.delete(f"/catalog/items/{ITEM}", as_=ADMIN).status == 200
    again = http.delete(f"/catalog/items/{ITEM}", as_=ADMIN)
    assert again.status == 409 and "'withdrawn'" in again.problem["detail"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"promised_days": 30}, "promised_days"),
        ({"region_code": "510000"}, "region_code"),
        ({"code": "510000-XK-0001", "region_code": "510100"}, "code"),
        ({"licence_valid_days": 365}, "licence_valid_days"),
        ({"level": "town"}, "level"),
        ({"fee_fen": -1}, "fee_fen"),
        (
            {"materials": [{"code": "A", "name": "x"}, {"code": "A", "name": "y"}]},
            "materials[1].code",
        ),
    ],
)
def test_inconsistent_terms_are_422_naming_the_field(http, app, overrides, field):
    before = app.max_position()
    answer = http.post("/catalog/items", item_body(**overrides), as_=ADMIN)
    assert answer.status == 422, answer.body
    assert answer.problem["errors"][0]["field"] == field
    assert app.max_position() == before


def test_another_method_on_an_item_is_405_allowing_its_read_and_its_commands(http):
    refused = http.client.patch(f"/api/v1/catalog/items/{ITEM}")
    assert refused.status_code == 405
    assert set(refused["Allow"].split(", ")) == {"GET", "PUT", "DELETE"}
