from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import Conflict, IllegalTransition, InvalidInput
from domain.model.violation import Violation

from .conftest import BUSINESS, CLERK, at

OWNER = {"role": "citizen", "subject": BUSINESS["party_id"]}


def violation(fine_fen: int = 20000) -> Violation:
    return Violation.record(
        party=BUSINESS,
        description="未按规定公示食品经营许可证",
        location="成都市锦江区春熙路1号",
        region_code="510104",
        occurred_at=at(2025, 9, 1),
        fine_fen=fine_fen,
        legal_basis="《食品经营许可管理办法》第五十二条",
        department="market-regulation",
        actor=CLERK,
        timestamp=at(2025, 9, 2),
    )


def test_a_violation_is_recorded_and_its_fine_requested():
    v = violation()
    payment_id = uuid4()
    v.request_fine(payment_id=payment_id, actor=CLERK)
    assert (v.status, v.fine_payment_id) == ("fine_requested", payment_id)
    assert [type(e).__name__ for e in v.collect_events()] == [
        "ViolationRecorded",
        "ViolationFineRequested",
    ]


def test_a_violation_without_a_fine_has_no_fine_to_request():
    v = violation(fine_fen=0)
    with pytest.raises(Conflict, match="no fine"):
        v.request_fine(payment_id=uuid4(), actor=CLERK)


def test_the_fine_is_requested_once():
    v = violation()
    v.request_fine(payment_id=uuid4(), actor=CLERK)
    with pytest.raises(IllegalTransition):
        v.request_fine(payment_id=uuid4(), actor=CLERK)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"occurred_at": at(2025, 9, 3)}, "occurred_at"),
        ({"fine_fen": -5}, "fine_fen"),
        ({"region_code": "51"}, "region_code"),
        ({"party": {**BUSINESS, "party_id": "91510100MA6CABCD00"}}, "party.party_id"),
        ({"description": ""}, "description"),
    ],
)
def test_an_invalid_record_is_refused_with_the_field_named(override, field):
    args = dict(
        party=BUSINESS,
        description="d",
        location="l",
        region_code="510104",
        occurred_at=at(2025, 9, 1),
        fine_fen=100,
        legal_basis="b",
        department="market-regulation",
        actor=CLERK,
        timestamp=at(2025, 9, 2),
    )
    args.update(override)
    with pytest.raises(InvalidInput) as err:
        Violation.record(**args)
    assert err.value.field == field


def test_a_violation_is_contested_once_and_then_resolved():
    v = violation()
    v.request_fine(payment_id=uuid4(), actor=CLERK)
    v.contest(reason="已公示", actor=OWNER)
    assert v.status == "contested"
    with pytest.raises(IllegalTransition, match="already contested"):
        v.contest(reason="again", actor=OWNER)
    v.resolve(outcome="annulled", reason="现场照片证明已公示", actor=CLERK)
    assert (v.status, v.outcome) == ("resolved", "annulled")


def test_a_resolved_violation_cannot_change():
    v = violation()
    v.resolve(outcome="upheld", actor=CLERK)
    with pytest.raises(IllegalTransition, match="'resolved'"):
        v.resolve(outcome="annulled", reason="x", actor=CLERK)
    with pytest.raises(IllegalTransition, match="'resolved'"):
        v.contest(reason="x", actor=OWNER)


def test_an_annulment_needs_a_reason_and_the_outcome_must_be_known():
    v = violation()
    with pytest.raises(InvalidInput) as err:
        v.resolve(outcome="annulled", actor=CLERK)
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput) as err:
        v.resolve(outcome="forgotten", actor=CLERK)
    assert err.value.field == "outcome"
