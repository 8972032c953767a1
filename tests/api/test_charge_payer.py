"""A clerk's charge is billed to the referenced record's own party (docs/api.md, "Payments"):
the case's applicant or the violation's party. Anyone else is 422 on `payer_party_id` and
nothing is appended, so a clerk can neither bill a stranger nor show them another person's
case id in their payments."""

from __future__ import annotations

from uuid import UUID

from tests.api.conftest import BUSINESS, CLERK, OTHER_PERSON, PERSON
from tests.api.test_violation_commands import violation_body


def charge(reference: dict, payer: str) -> dict:
    return {
        "amount_fen": 2000,
        "payer_party_id": payer,
        "reference": reference,
        "due_date": "2030-01-31",
    }


def test_a_charge_on_a_case_billed_to_anyone_but_its_applicant_is_422_and_appends_nothing(
    catalogue, app
):
    case = catalogue.submit()
    before = app.max_position()
    for stranger in (OTHER_PERSON, BUSINESS):
        refused = catalogue.post(
            "/payments", charge({"case_id": case["case_id"]}, stranger), as_=CLERK
        )
        assert refused.status == 422
        assert refused.problem["errors"][0]["field"] == "payer_party_id"
        assert "applicant" in refused.problem["detail"]
        assert stranger not in refused.problem["detail"] and PERSON not in refused.problem["detail"]
    assert app.max_position() == before

    billed = catalogue.post("/payments", charge({"case_id": case["case_id"]}, PERSON), as_=CLERK)
    assert billed.status == 201, billed.body
    payment = app.repository.get(UUID(billed.body["payment_id"]))
    assert (payment.payer_party_id, payment.payer_name) == (PERSON, "张小三")


def test_a_charge_on_a_violation_is_billed_to_its_party_only(http, app):
    violation = http.post("/violations", violation_body(), as_=CLERK).body
    reference = {"violation_id": violation["violation_id"]}
    before = app.max_position()
    refused = http.post("/payments", charge(reference, OTHER_PERSON), as_=CLERK)
    assert refused.status == 422
    assert refused.problem["errors"][0]["field"] == "payer_party_id"
    assert "party of the referenced violation" in refused.problem["detail"]
    assert app.max_position() == before
    assert http.post("/payments", charge(reference, PERSON), as_=CLERK).status == 201
