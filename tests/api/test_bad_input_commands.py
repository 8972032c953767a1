"""Bad input of any shape is a 4xx problem naming the field, never a 500, and appends
nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import (
    ADMIN,
    ALL_MATERIALS,
    APPLICANT,
    CITIZEN,
    CLERK,
    GATEWAY,
    ITEM,
    LICENSED,
    PERSON,
    item_body,
)

SUBMIT = {"item_code": ITEM, "applicant": APPLICANT, "channel": "web", "materials": ALL_MATERIALS}
VIOLATION = {
    "party_id": PERSON,
    "description": "占道经营",
    "location": "红星路",
    "region_code": "510104",
    "occurred_at": "2025-09-01T09:30:00+08:00",
    "fine_fen": 100,
    "legal_basis": "条例",
}
SETTLE = {"channel": "unionpay", "transaction_ref": "UP-9", "amount_fen": 5000}
HUGE = 10**40

# (name, method, path, body (dict/list/...) or raw bytes, token, field named in `errors` or None)
CASES = [
    ("not json", "post", "/cases", b"{not json", CITIZEN, "body"),
    ("json array", "post", "/cases", [SUBMIT], CITIZEN, "body"),
    ("json string", "post", "/cases", "hello", CITIZEN, "body"),
    ("json null", "post", "/cases", b"null", CITIZEN, None),
    ("empty body", "post", "/cases", b"", CITIZEN, None),
    (
        "missing applicant",
        "post",
        "/cases",
        {k: v for k, v in SUBMIT.items() if k != "applicant"},
        CITIZEN,
        "applicant",
    ),
    ("unknown channel", "post", "/cases", {**SUBMIT, "channel": "fax"}, CITIZEN, "channel"),
    ("channel of wrong type", "post", "/cases", {**SUBMIT, "channel": 7}, CITIZEN, "channel"),
    (
        "bad party id",
        "post",
        "/cases",
        {**SUBMIT, "applicant": {**APPLICANT, "party_id": "510104199005011230"}},
        CITIZEN,
        "applicant.party_id",
    ),
    (
        "party id of another kind",
        "post",
        "/cases",
        {**SUBMIT, "applicant": {**APPLICANT, "kind": "business"}},
        CITIZEN,
        "applicant.party_id",
    ),
    (
        "unknown kind",
        "post",
        "/cases",
        {**SUBMIT, "applicant": {**APPLICANT, "kind": "robot"}},
        CITIZEN,
        "applicant.kind",
    ),
    ("unknown field", "post", "/cases", {**SUBMIT, "priority": "high"}, CITIZEN, "priority"),
    (
        "materials not a list",
        "post",
        "/cases",
        {**SUBMIT, "materials": {"code": "LICENCE"}},
        CITIZEN,
        "materials",
    ),
    (
        "unknown material",
        "post",
        "/cases",
        {**SUBMIT, "materials": [{"code": "NOPE", "document_ref": "d"}]},
        CITIZEN,
        "materials[0].code",
    ),
    (
        "material without ref",
        "post",
        "/cases",
        {**SUBMIT, "materials": [{"code": "LICENCE"}]},
        CITIZEN,
        "materials[0].document_ref",
    ),
    ("huge number in form", "post", "/cases", {**SUBMIT, "form": {"n": HUGE}}, CITIZEN, "form"),
    (
        "nan in form",
        "post",
        "/cases",
        b'{"item_code": "510100-XK-0001", "applicant": {"party_id": "%s", "kind": "person", '
        b'"name": "x"}, "channel": "web", "form": {"n": NaN}}' % PERSON.encode(),
        CITIZEN,
        None,
    ),
    (
        "deep form",
        "post",
        "/cases",
        {**SUBMIT, "form": {"a": [[[[[[[[[[1]]]]]]]]]]}},
        CITIZEN,
        "form",
    ),
    ("form not an object", "post", "/cases", {**SUBMIT, "form": [1, 2]}, CITIZEN, "form"),
    (
        "name too long",
        "post",
        "/cases",
        {**SUBMIT, "applicant": {**APPLICANT, "name": "张" * 5000}},
        CITIZEN,
        "applicant.name",
    ),
    (
        "malformed item code",
        "post",
        "/cases",
        {**SUBMIT, "item_code": "x" * 20},
        CITIZEN,
        "item_code",
    ),
    ("malformed uuid in path", "post", "/cases/not-a-uuid/accept", {}, CLERK, "case_id"),
    (
        "uuid-ish path",
        "post",
        "/cases/00000000-0000-0000-0000-00000000000g/accept",
        {},
        CLERK,
        "case_id",
    ),
    (
        "expected_version a string",
        "post",
        "/cases/{case}/accept",
        {"expected_version": "1"},
        CLERK,
        "expected_version",
    ),
    (
        "expected_version a bool",
        "post",
        "/cases/{case}/accept",
        {"expected_version": True},
        CLERK,
        "expected_version",
    ),
    (
        "expected_version huge",
        "post",
        "/cases/{case}/accept",
        {"expected_version": HUGE},
        CLERK,
        "expected_version",
    ),
    (
        "expected_version zero",
        "post",
        "/cases/{case}/accept",
        {"expected_version": 0},
        CLERK,
        "expected_version",
    ),
    (
        "expected_version float",
        "post",
        "/cases/{case}/accept",
        {"expected_version": 1.5},
        CLERK,
        "expected_version",
    ),
    ("bad idempotency key", "post", "/cases/{case}/accept", {}, CLERK, "Idempotency-Key"),
    ("unknown outcome", "post", "/cases/{case}/decide", {"outcome": "maybe"}, CLERK, "outcome"),
    ("codes empty", "post", "/cases/{case}/request-materials", {"codes": []}, CLERK, "codes"),
    (
        "codes of wrong type",
        "post",
        "/cases/{case}/request-materials",
        {"codes": "LAYOUT"},
        CLERK,
        "codes",
    ),
    (
        "extend by too much",
        "post",
        "/cases/{case}/extend",
        {"days": 1000, "reason": "x"},
        CLERK,
        "days",
    ),
    (
        "extend by a string",
        "post",
        "/cases/{case}/extend",
        {"days": "5", "reason": "x"},
        CLERK,
        "days",
    ),
    ("score out of range", "post", "/cases/{case}/rate", {"score": 6}, CITIZEN, "score"),
    ("reason null", "post", "/cases/{case}/suspend", {"reason": None}, CLERK, "reason"),
    ("assign to nobody", "post", "/cases/{case}/assign", {"clerk_sub": ""}, CLERK, "clerk_sub"),
    (
        "settle a huge amount",
        "post",
        "/payments/{payment}/settle",
        {**SETTLE, "amount_fen": HUGE},
        GATEWAY,
        "amount_fen",
    ),
    (
        "settle a negative amount",
        "post",
        "/payments/{payment}/settle",
        {**SETTLE, "amount_fen": -5000},
        GATEWAY,
        "amount_fen",
    ),
    (
        "settle a float amount",
        "post",
        "/payments/{payment}/settle",
        {**SETTLE, "amount_fen": 50.5},
        GATEWAY,
        "amount_fen",
    ),
    (
        "settle without ref",
        "post",
        "/payments/{payment}/settle",
        {"channel": "x", "amount_fen": 5000},
        GATEWAY,
        "transaction_ref",
    ),
    ("settle a malformed id", "post", "/payments/123/settle", SETTLE, GATEWAY, "payment_id"),
    (
        "charge a bad date",
        "post",
        "/payments",
        {
            "amount_fen": 1,
            "payer_party_id": PERSON,
            "reference": {"case_id": str(uuid4())},
            "due_date": "31/01/2030",
        },
        CLERK,
        "due_date",
    ),
    (
        "charge a bad reference id",
        "post",
        "/payments",
        {
            "amount_fen": 1,
            "payer_party_id": PERSON,
            "reference": {"case_id": "x"},
            "due_date": "2030-01-31",
        },
        CLERK,
        "reference.case_id",
    ),
    (
        "charge a bad payer",
        "post",
        "/payments",
        {
            "amount_fen": 1,
            "payer_party_id": "123",
            "reference": {"case_id": str(uuid4())},
            "due_date": "2030-01-31",
        },
        CLERK,
        "payer_party_id",
    ),
    (
        "violation with a bad region",
        "post",
        "/violations",
        {**VIOLATION, "region_code": "51"},
        CLERK,
        "region_code",
    ),
    (
        "violation with a bad time",
        "post",
        "/violations",
        {**VIOLATION, "occurred_at": "yesterday"},
        CLERK,
        "occurred_at",
    ),
    (
        "violation with a huge fine",
        "post",
        "/violations",
        {**VIOLATION, "fine_fen": HUGE},
        CLERK,
        "fine_fen",
    ),
    (
        "violation of a bad party",
        "post",
        "/violations",
        {**VIOLATION, "party_id": "X" * 18},
        CLERK,
        "party_id",
    ),
    (
        "resolve with an unknown outcome",
        "post",
        "/violations/{violation}/resolve",
        {"outcome": "forgiven"},
        CLERK,
        "outcome",
    ),
    (
        "licence reason too long",
        "post",
        "/licences/SCL-2025-510100-00000001/suspend",
        {"reason": "x" * 5000},
        CLERK,
        "reason",
    ),
    (
        "licence number too long",
        "post",
        "/licences/" + "9" * 100 + "/suspend",
        {"reason": "x"},
        CLERK,
        "licence_number",
    ),
    (
        "catalogue: days as strings",
        "post",
        "/catalog/items",
        item_body("510100-XK-0009", statutory_days="20"),
        ADMIN,
        "statutory_days",
    ),
    (
        "catalogue: unknown item type",
        "post",
        "/catalog/items",
        item_body("510100-XK-0009", item_type="gift"),
        ADMIN,
        "item_type",
    ),
    (
        "catalogue: huge fee",
        "post",
        "/catalog/items",
        item_body("510100-XK-0009", fee_fen=HUGE),
        ADMIN,
        "fee_fen",
    ),
    (
        "catalogue: bad department",
        "post",
        "/catalog/items",
        item_body("510100-XK-0009", department="Market Regulation"),
        ADMIN,
        "department",
    ),
    (
        "catalogue: withdraw version not a number",
        "delete",
        "/catalog/items/" + ITEM + "?expected_version=abc",
        None,
        ADMIN,
        "expected_version",
    ),
]


@pytest.fixture
def records(catalogue) -> dict:
    case = catalogue.accepted(LICENSED)
    violation = catalogue.post("/violations", VIOLATION, as_=CLERK).body
    return {
        "case": case["case_id"],
        "payment": case["payment_id"],
        "violation": violation["violation_id"],
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "caller", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_4xx_problem_naming_the_field_and_appends_nothing(
    catalogue, app, records, method, path, body, caller, field
):
    key = "bad key with spaces" if field == "Idempotency-Key" else None
    before = app.max_position()
    raw = body if isinstance(body, bytes) else None
    answer = catalogue.call(
        method,
        path.format(**records),
        None if raw is not None else body,
        as_=caller,
        key=key,
        raw=raw,
    )
    assert 400 <= answer.status < 500, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(answer.body)
    if field is not None:
        assert field in [e["field"] for e in answer.body["errors"]], answer.body
    assert app.max_position() == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
fields = st.sampled_from(
    [
        "item_code",
        "applicant",
        "channel",
        "materials",
        "form",
        "expected_version",
        "outcome",
        "reason",
        "codes",
        "days",
        "score",
        "amount_fen",
        "transaction_ref",
        "party_id",
    ]
)
bodies = st.dictionaries(fields, json_values, max_size=6) | json_values


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=bodies,
    action=st.sampled_from(
        [
            "",
            "/{case}/accept",
            "/{case}/decide",
            "/{case}/extend",
            "/{case}/rate",
            "/{case}/request-materials",
            "/{case}/supplement-materials",
        ]
    ),
)
def test_random_bodies_never_answer_5xx_and_refusals_append_nothing(
    catalogue, app, records, body, action
):
    caller = CITIZEN if action in ("", "/{case}/rate", "/{case}/supplement-materials") else CLERK
    before = app.max_position()
    answer = catalogue.post("/cases" + action.format(**records), body, as_=caller)
    assert answer.status < 500, answer.body
    if answer.status >= 400:
        assert app.max_position() == before
