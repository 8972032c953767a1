"""Schemathesis against `/api/v1/openapi.json`, loaded from the Django WSGI application.

Behind the application: a temporary SQLite event store with a day of real events, and the
read models in real Elasticsearch under a prefix of this module, fed by in-process relay and
projector threads on real Kafka (tests/live.py). The generated requests of each operation carry valid tokens of the
roles in turn (citizen, clerk, auditor, analyst, admin, gateway), and no answer
may be a 5xx, have an undocumented status code, another content type, or a body that the
schema does not describe. Then every read with a path parameter is called with the ids of
real records, so the schemas of full answers are checked too, not only of 404s.

Bounded and repeatable: a fixed `max_examples`, derandomized, no example database.
`consistent_after` is capped at the store's current position, so a request never waits its
5 s for a position that will never come (that bound has tests of its own).
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import dev_subject, issue_dev_token
from tests.support.live import live_casetrack
from tests.support.scenarios import PERSON_ID, run_full_day

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES: dict[str, dict[str, Any]] = {
    "citizen": {"sub": dev_subject("citizen", PERSON_ID), "party_id": PERSON_ID},
    "clerk": {"sub": "clerk-7", "department": "market-regulation", "region_code": "510100"},
    "auditor": {"sub": "auditor-1"},
    "analyst": {"sub": "analyst-1"},
    "admin": {"sub": "admin-1"},
    "gateway": {"sub": "unionpay"},
}
TOKENS = {role: issue_dev_token(role=role, **claims) for role, claims in ROLES.items()}


@pytest.fixture(scope="module")
def live(tmp_path_factory, kafka_bootstrap, es_url):
    with live_casetrack(
        tmp_path_factory.mktemp("schemathesis"),
        kafka_bootstrap=kafka_bootstrap,
        es_url=es_url,
        name="schemathesis",
    ) as world:
        world.made = run_full_day(world.app, suffix="0001")
        world.wait_caught_up()
        yield world


def _load_schema():
    # Loaded at collection through the WSGI application itself (serving the document needs no
    # store, Kafka or Elasticsearch). The lazy `from_fixture` loader of schemathesis 4.32 sets
    # `Node._nodeid`, which pytest 9.2 no longer has.
    from api.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = _load_schema()


def _bounded(case, live) -> None:
    if isinstance(case.query, dict) and isinstance(case.query.get("consistent_after"), int):
        case.query["consistent_after"] = min(
            case.query["consistent_after"], live.app.max_position()
        )


_calls: dict[str, Iterator[str]] = {}


def _next_role(case) -> str:
    """The roles in turn, per operation: its first six cases go to the six roles, and so on."""
    return next(_calls.setdefault(case.operation.label, itertools.cycle(ROLES)))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_role_gets_documented_answers_and_no_server_error(case, live):
    _bounded(case, live)
    role = _next_role(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[role]}"}, checks=CHECKS)


def _known_reads(live) -> list[tuple[str, dict, dict]]:
    made = live.made
    case, fee_case, licence = made.cases[0], made.cases[1], made.licences[0]
    number = live.app.repository.get(UUID(case)).case_number
    reads = [("/api/v1/cases/{case_id}", {"case_id": c}, {}) for c in (case, fee_case, number)]
    reads += [("/api/v1/catalog/items/{code}", {"code": code}, {}) for code in made.items]
    reads += [("/api/v1/licences/{licence_number}/verify", {"licence_number": licence}, {})]
    for aggregate in (case, fee_case):
        reads += [
            ("/api/v1/audit/streams/{aggregate_id}/events", {"aggregate_id": aggregate}, {}),
            ("/api/v1/audit/streams/{aggregate_id}/state", {"aggregate_id": aggregate}, {}),
            (
                "/api/v1/audit/streams/{aggregate_id}/state",
                {"aggregate_id": aggregate},
                {"version": 1},
            ),
        ]
    return reads


def test_reads_of_real_records_answer_what_the_schema_says_for_every_role(live):
    answered = collections.Counter()
    for path, parameters, query in _known_reads(live):
        operation = schema[path]["GET"]
        for token in TOKENS.values():
            case = operation.Case(path_parameters=parameters, query=query or None)
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
            )
            answered[(path, response.status_code)] += 1
    # Not only refusals: each read answered a full record to someone.
    assert {path for path, _, _ in _known_reads(live)} == {
        path for path, status in answered if status == 200
    }
