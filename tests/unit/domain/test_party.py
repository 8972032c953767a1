from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidInput
from domain.model.licence import Licence
from domain.model.party import Party, credit_record
from domain.model.payment import Payment

from .conftest import APPLICANT, BUSINESS, CLERK, GATEWAY, PERSON_ID, at


def fine(due: date, payer: str = PERSON_ID) -> Payment:
    return Payment.request(
        kind="fine",
        amount_fen=20000,
        payer_party_id=payer,
        violation_id=uuid4(),
        due_date=due,
        department="traffic-police",
        region_code="510104",
        actor=CLERK,
    )


def test_a_party_is_validated_and_masked_only_when_a_person():
    person = Party.from_dict(APPLICANT)
    assert person.masked()["name"] == "张*三"
    business = Party.from_dict(BUSINESS)
    assert business.masked() == BUSINESS
    with pytest.raises(InvalidInput) as err:
        Party.from_dict({**APPLICANT, "kind": "business"})
    assert err.value.field == "party.party_id"


def test_a_party_with_nothing_against_it_has_good_standing():
    record = credit_record(PERSON_ID, now=at(2025, 10, 1))
    assert record["standing"] == "good" and record["unpaid_overdue_fines"] == []


def test_an_unpaid_overdue_fine_puts_a_party_on_warning():
    overdue, not_yet, other = (
        fine(date(2025, 9, 1)),
        fine(date(2025, 12, 1)),
        fine(date(2025, 9, 1), BUSINESS["party_id"]),
    )
    record = credit_record(PERSON_ID, payments=[overdue, not_yet, other], now=at(2025, 10, 1))
    assert record["standing"] == "warning"
    assert [f["payment_id"] for f in record["unpaid_overdue_fines"]] == [str(overdue.id)]
    assert record["unpaid_overdue_fines_fen"] == 20000


def test_paying_on_time_counts_and_a_paid_fine_is_not_held_against_the_party():
    paid = fine(date(2025, 9, 1))
    paid.settle(
        channel="unionpay",
        transaction_ref="T",
        amount_fen=20000,
        actor=GATEWAY,
        timestamp=at(2025, 8, 30),
    )
    record = credit_record(PERSON_ID, payments=[paid], now=at(2025, 10, 1))
    assert record["standing"] == "good"
    assert (record["payments_settled"], record["payments_settled_on_time"]) == (1, 1)


def test_a_revoked_licence_gives_poor_standing():
    lic = Licence.issue(
        number="SCL-2025-510100-00000009",
        holder=APPLICANT,
        item_code="510100-XK-0001",
        item_name="n",
        licence_type="t",
        case_id=uuid4(),
        valid_days=None,
        department="market-regulation",
        region_code="510100",
        actor=CLERK,
    )
    lic.revoke(reason="违法", actor=CLERK)
    record = credit_record(PERSON_ID, licences=[lic], now=at(2025, 10, 1))
    assert record["standing"] == "poor"
    assert record["revoked_licences"] == [
        {"licence_number": "SCL-2025-510100-00000009", "reason": "违法"}
    ]
