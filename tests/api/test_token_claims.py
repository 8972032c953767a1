"""Tokens are checked at decode (docs/api.md, "Authentication, roles and claims").

Scope is only as good as the claims it is built from: a clerk claiming `region_code: "51"` once
read a whole province through search, because reads filter by the prefix of the claimed code
while commands ask `covers()`. Every scoping claim must now have its exact format or the token
is refused (401) on every endpoint; with valid claims, reads and commands scope alike.
Production also checks the audience, against tokens signed by a local identity provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import orjson
import pytest
from django.test import Client

from api import auth
from api.auth import dev_subject, issue_dev_token
from api.config import get_config
from domain.identifiers import covers, make_credit_code
from tests.api.conftest import CLERK, DEPARTMENT, PERSON, Http
from tests.support.jwks import AUDIENCE, IdentityProvider, identity_provider
from tests.support.live import live_casetrack
from tests.support.scenarios import MATERIALS, item_terms

BAD_ID = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")  # wrong check digit
BUSINESS = make_credit_code("510100", "MA6CABCD")
BAD_CODE = BUSINESS[:-1] + ("0" if BUSINESS[-1] != "0" else "1")
CLERK_CLAIMS = {"department": DEPARTMENT, "region_code": "510100"}


def dev_token(role: str, sub: str = "someone", **claims: Any) -> str:
    """A development token with exactly these claims (issue_dev_token drops empty ones)."""
    config = get_config()
    body = {"iss": "casetrack", "sub": sub, "role": role, "exp": 4102444800, **claims}
    return jwt.encode(body, config.dev_jwt_secret, algorithm="HS256")


def search(token: str, params: dict | None = None) -> tuple[int, Any]:
    response = Client().get(
        "/api/v1/search", params or {"q": "食品"}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, orjson.loads(response.content) if response.content else None


@pytest.fixture
def case_id(catalogue: Http) -> str:
    return catalogue.submit()["case_id"]


def accept(http: Http, case_id: str, token: str, **body: Any):
    return http.post(f"/cases/{case_id}/accept", body or None, as_=token)


# --- malformed claims are 401 everywhere -------------------------------------------------


@pytest.mark.parametrize("region_code", ["51", "5", "5101"])
def test_a_clerk_claiming_a_prefix_for_a_region_is_refused_on_search_and_on_commands(
    catalogue, case_id, region_code
):
    token = dev_token("clerk", "clerk-7", department=DEPARTMENT, region_code=region_code)
    assert search(token)[0] == 401
    answer = accept(catalogue, case_id, token)
    assert answer.status == 401
    assert answer.problem["status"] == 401
    # Nothing happened to the case: the real clerk accepts it at its first version.
    assert accept(catalogue, case_id, CLERK, expected_version=1).status == 200


BAD_CLAIMS = {
    "region of five digits": ("clerk", {**CLERK_CLAIMS, "region_code": "51010"}),
    "region with a letter": ("clerk", {**CLERK_CLAIMS, "region_code": "51010X"}),
    "region of seven digits": ("clerk", {**CLERK_CLAIMS, "region_code": "5101000"}),
    "region starting 00": ("clerk", {**CLERK_CLAIMS, "region_code": "000000"}),
    "region of no province": ("clerk", {**CLERK_CLAIMS, "region_code": "990100"}),
    "county without its city": ("clerk", {**CLERK_CLAIMS, "region_code": "510004"}),
    "region as a number": ("clerk", {**CLERK_CLAIMS, "region_code": 510100}),
    "region as a list": ("clerk", {**CLERK_CLAIMS, "region_code": ["510100"]}),
    "department by its name": ("clerk", {**CLERK_CLAIMS, "department": "Market Regulation"}),
    "unknown department": ("clerk", {**CLERK_CLAIMS, "department": "secret-police"}),
    "department as a list": ("clerk", {**CLERK_CLAIMS, "department": [DEPARTMENT]}),
    "clerk without region": ("clerk", {"department": DEPARTMENT}),
    "party id too short": ("citizen", {"party_id": "51010419900501"}),
    "identity number with a wrong check digit": ("citizen", {"party_id": BAD_ID}),
    "credit code with a wrong check character": ("citizen", {"party_id": BAD_CODE}),
    "party id as a number": ("citizen", {"party_id": 510104199005011234}),
    "citizen without party id": ("citizen", {}),
    "a bad region on an auditor": ("auditor", {"region_code": "51"}),
    "unknown role": ("root", {}),
}


@pytest.mark.parametrize(("role", "claims"), BAD_CLAIMS.values(), ids=BAD_CLAIMS.keys())
def test_a_token_with_a_malformed_claim_is_401_on_search_and_on_commands(
    catalogue, case_id, role, claims
):
    token = dev_token(role, "someone", **claims)
    assert search(token)[0] == 401
    assert accept(catalogue, case_id, token).status == 401
    assert catalogue.post("/cases", {}, as_=token).status == 401


def test_an_empty_subject_is_401(catalogue, case_id):
    assert accept(catalogue, case_id, dev_token("clerk", "", **CLERK_CLAIMS)).status == 401


def test_well_formed_claims_of_every_kind_are_accepted(catalogue, case_id):
    business = dev_token("citizen", "rep-1", party_id=BUSINESS)
    assert catalogue.post("/cases", {}, as_=business).status == 422  # authenticated
    person = dev_token("citizen", dev_subject("citizen", PERSON), party_id=PERSON)
    assert catalogue.post("/cases", {}, as_=person).status == 422
    county = dev_token("clerk", "clerk-c", department=DEPARTMENT, region_code="510104")
    assert accept(catalogue, case_id, county).status == 404  # the case is the city's
    city = dev_token("clerk", "clerk-7", **CLERK_CLAIMS)
    assert accept(catalogue, case_id, city).status == 200


# --- production: the identity provider's keys and the audience ---------------------------


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    with identity_provider() as provider:
        yield provider


@pytest.fixture
def production(monkeypatch, idp) -> Iterator[IdentityProvider]:
    monkeypatch.setenv("CASETRACK_ENV", "production")
    monkeypatch.setenv("CASETRACK_JWKS_URL", idp.url)
    monkeypatch.setenv("CASETRACK_JWT_AUDIENCE", AUDIENCE)
    get_config.cache_clear()
    auth._jwks_client.cache_clear()
    yield idp
    monkeypatch.undo()
    get_config.cache_clear()
    auth._jwks_client.cache_clear()


def test_production_accepts_the_providers_token_for_this_audience(catalogue, case_id, production):
    token = production.token("clerk", "clerk-7", **CLERK_CLAIMS)
    assert accept(catalogue, case_id, token).status == 200


def test_production_accepts_an_audience_list_that_names_this_api(catalogue, case_id, production):
    token = production.token("clerk", "clerk-7", aud=["portal", AUDIENCE], **CLERK_CLAIMS)
    assert accept(catalogue, case_id, token).status == 200


@pytest.mark.parametrize("aud", ["another-api", ["portal"], None], ids=["other", "list", "none"])
def test_production_refuses_a_token_for_another_audience_or_none(
    catalogue, case_id, production, aud
):
    token = production.token("clerk", "clerk-7", aud=aud, **CLERK_CLAIMS)
    assert accept(catalogue, case_id, token).status == 401
    assert search(token)[0] == 401


def test_production_refuses_development_tokens_whatever_they_claim(catalogue, case_id, production):
    token = dev_token("clerk", "clerk-7", aud=AUDIENCE, **CLERK_CLAIMS)
    assert accept(catalogue, case_id, token).status == 401
    assert catalogue.post("/dev/tokens", {"role": "admin"}, as_=None).status == 404


def test_production_checks_claim_formats_too(catalogue, case_id, production):
    token = production.token("clerk", "clerk-7", department=DEPARTMENT, region_code="51")
    assert accept(catalogue, case_id, token).status == 401
    assert search(token)[0] == 401


def test_a_development_audience_is_put_in_dev_tokens_and_checked(catalogue, case_id, monkeypatch):
    without_audience = issue_dev_token(role="clerk", sub="clerk-7", **CLERK_CLAIMS)
    monkeypatch.setenv("CASETRACK_JWT_AUDIENCE", "casetrack-dev")
    get_config.cache_clear()
    try:
        assert accept(catalogue, case_id, without_audience).status == 401
        with_audience = issue_dev_token(role="clerk", sub="clerk-7", **CLERK_CLAIMS)
        assert jwt.decode(with_audience, options={"verify_signature": False})["aud"] == (
            "casetrack-dev"
        )
        assert accept(catalogue, case_id, with_audience).status == 200
    finally:
        monkeypatch.undo()
        get_config.cache_clear()


# --- reads scope exactly like commands ---------------------------------------------------

ADMIN = {"role": "admin", "subject": "admin-1"}
CITIZEN = {"role": "citizen", "subject": PERSON, "channel": "web"}
APPLICANT = {"party_id": PERSON, "kind": "person", "name": "张小三"}
ITEM_REGIONS = {
    "510000": "province",
    "510100": "city",
    "510104": "county",
    "510105": "county",
    "510700": "city",
    "510703": "county",
}
CLERK_REGIONS = ["510000", "510100", "510104", "510700", "510703"]


@pytest.mark.integration
def test_search_shows_a_clerk_exactly_the_cases_their_commands_may_touch(
    tmp_path, kafka_bootstrap, es_url
):
    with live_casetrack(
        tmp_path, kafka_bootstrap=kafka_bootstrap, es_url=es_url, name="scope"
    ) as live:
        app = live.app
        region_of: dict[str, str] = {}
        for region, level in ITEM_REGIONS.items():
            code = f"{region}-XK-0001"
            app.publish_item(code=code, actor=ADMIN, **item_terms(region_code=region, level=level))
            case = app.submit_case(
                item_code=code,
                applicant=APPLICANT,
                channel="web",
                actor=CITIZEN,
                materials=MATERIALS,
            )
            region_of[str(case["case_id"])] = region
        live.wait_caught_up()
        http = Http(app)
        for clerk_region in CLERK_REGIONS:
            token = issue_dev_token(
                role="clerk",
                sub=f"clerk-{clerk_region}",
                department=DEPARTMENT,
                region_code=clerk_region,
            )
            status, found = search(token, {"type": "case", "size": 100})
            assert status == 200, found
            read = {hit["id"] for hit in found["hits"]}
            # A stale version is refused (409) inside the scope, not found (404) outside it;
            # either way nothing changes.
            answers = {c: accept(http, c, token, expected_version=99).status for c in region_of}
            assert set(answers.values()) <= {404, 409}, answers
            commanded = {c for c, status in answers.items() if status == 409}
            expected = {c for c, region in region_of.items() if covers(clerk_region, region)}
            assert read == commanded == expected, clerk_region
        # The comparison means something: some clerks see some cases, but not all.
        assert 0 < len({c for c, r in region_of.items() if covers("510100", r)}) < len(region_of)
