from __future__ import annotations

from datetime import UTC, date
from uuid import uuid4

import pytest

from domain.errors import (
    Conflict,
    FeeNotSettled,
    IllegalTransition,
    InvalidInput,
    MaterialsMissing,
)
from domain.legal_basis import REFUSAL, REJECTION
from domain.model.case import Case

from .conftest import (
    ADMIN,
    APPLICANT,
    CITIZEN,
    CLERK,
    accepted_case,
    at,
    item_terms,
    publish_item,
    submit_case,
)


def names(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


def test_a_submitted_case_keeps_the_item_terms_it_was_submitted_under():
    item = publish_item()
    case = submit_case(item)
    item.revise(actor=ADMIN, **item_terms(promised_days=1, fee_fen=999))
    assert case.status == "submitted"
    assert case.item["revision"] == 1 and case.item["fee_fen"] == 0
    assert case.department == "market-regulation" and case.region_code == "510100"


def test_submission_validates_channel_applicant_and_material_codes():
    item = publish_item()
    base = dict(
        case_number="SC-2025-510100-00000001",
        item=item.case_terms(),
        department=item.department,
        applicant=APPLICANT,
        channel="web",
        materials=[],
        actor=CITIZEN,
    )
    with pytest.raises(InvalidInput) as err:
        Case.submit(**{**base, "channel": "fax"})
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput) as err:
        Case.submit(**{**base, "applicant": {**APPLICANT, "party_id": "510104199005011230"}})
    assert err.value.field == "applicant.party_id"
    with pytest.raises(InvalidInput) as err:
        Case.submit(**{**base, "materials": [{"code": "NOPE", "document_ref": "d"}]})
    assert err.value.field == "materials[0].code"


def test_missing_materials_are_allowed_at_submission_but_block_acceptance():
    case = submit_case(materials=[{"code": "LICENCE", "document_ref": "d1"}])
    with pytest.raises(MaterialsMissing) as err:
        case.accept(actor=CLERK)
    assert err.value.missing == ["LAYOUT"]
    assert case.status == "submitted"


def test_requested_materials_return_the_case_to_submitted_when_supplemented():
    case = submit_case(materials=[])
    case.request_materials(codes=["LICENCE", "LAYOUT"], note="请补正", actor=CLERK)
    assert case.status == "materials_requested" and case.requested_materials == [
        "LICENCE",
        "LAYOUT",
    ]
    case.supplement_materials(
        materials=[
            {"code": "LICENCE", "document_ref": "a"},
            {"code": "LAYOUT", "document_ref": "b"},
        ],
        actor=CITIZEN,
    )
    assert case.status == "submitted" and case.missing_materials == []
    case.accept(actor=CLERK)
    assert case.status == "accepted"


def test_materials_requested_after_acceptance_return_the_case_to_accepted():
    case = accepted_case()
    case.request_materials(codes=["OTHER"], actor=CLERK)
    case.supplement_materials(materials=[{"code": "OTHER", "document_ref": "c"}], actor=CITIZEN)
    assert case.status == "accepted"


def test_supplementing_without_a_request_is_an_illegal_transition():
    case = submit_case()
    with pytest.raises(IllegalTransition, match="'submitted'"):
        case.supplement_materials(materials=[{"code": "OTHER", "document_ref": "c"}], actor=CITIZEN)


def test_requesting_unknown_materials_names_the_code():
    case = submit_case()
    with pytest.raises(InvalidInput) as err:
        case.request_materials(codes=["LICENCE", "X"], actor=CLERK)
    assert err.value.field == "codes[1]"


def test_acceptance_sets_promised_and_statutory_deadlines_in_working_days():
    case = accepted_case(when=at(2025, 9, 29))
    assert case.accepted_on == date(2025, 9, 29)
    assert case.promised_due == date(2025, 10, 13)  # 5 working days across the golden week
    assert case.statutory_due == date(2025, 11, 3)  # 20 working days
    assert case.calendar_version.startswith("chinese_calendar-")


def test_acceptance_counts_the_day_in_shanghai_not_utc():
    from datetime import datetime

    case = submit_case()
    case.accept(actor=CLERK, timestamp=datetime(2025, 9, 28, 17, 0, tzinfo=UTC))
    assert case.accepted_on == date(2025, 9, 29)


def test_a_case_can_be_refused_before_acceptance_only():
    case = submit_case()
    case.reject_acceptance(reason="不属于本部门职责", legal_basis=REFUSAL, actor=CLERK)
    assert case.status == "refused" and case.closing_reason == "不属于本部门职责"
    accepted = accepted_case()
    with pytest.raises(IllegalTransition, match="'accepted'"):
        accepted.reject_acceptance(reason="x", legal_basis=REFUSAL, actor=CLERK)


def test_a_refusal_needs_a_reason():
    with pytest.raises(InvalidInput) as err:
        submit_case().reject_acceptance(reason="  ", legal_basis=REFUSAL, actor=CLERK)
    assert err.value.field == "reason"


def test_a_case_awaiting_materials_before_acceptance_can_be_refused():
    case = submit_case()
    case.request_materials(codes=["OTHER"], actor=CLERK)
    case.reject_acceptance(reason="逾期未补正", legal_basis=REFUSAL, actor=CLERK)
    assert case.status == "refused"


def test_an_open_case_can_be_assigned_and_reassigned():
    case = submit_case()
    case.assign(clerk_sub="clerk-1", actor=CLERK)
    case.assign(clerk_sub="clerk-2", actor=CLERK)
    assert case.assigned_to == "clerk-2"


def test_suspension_stops_the_statutory_clock_and_resumption_restarts_it():
    case = accepted_case(when=at(2025, 9, 29))
    case.suspend(reason="专家评审", actor=CLERK, timestamp=at(2025, 9, 30))
    assert case.status == "suspended"
    assert case.statutory_remaining == 19 and case.promised_remaining == 4
    assert not case.is_overdue(at(2026, 6, 1))  # the clock is stopped
    case.resume(actor=CLERK, timestamp=at(2025, 10, 13))
    assert case.status == "accepted"
    assert case.promised_due == date(2025, 10, 17)
    assert case.statutory_due == date(2025, 11, 7)


def test_only_an_accepted_case_can_be_suspended_and_only_a_suspended_one_resumed():
    with pytest.raises(IllegalTransition, match="'submitted'"):
        submit_case().suspend(reason="x", actor=CLERK)
    with pytest.raises(IllegalTransition, match="'accepted'"):
        accepted_case().resume(actor=CLERK)


def test_an_extension_moves_the_statutory_deadline_only():
    case = accepted_case(when=at(2025, 9, 29))
    case.extend(days=10, reason="情况复杂", actor=CLERK)
    assert case.statutory_due == date(2025, 11, 17)
    assert case.promised_due == date(2025, 10, 13)
    assert case.extended_days == 10


def test_an_extension_while_suspended_is_added_to_the_remaining_days():
    case = accepted_case(when=at(2025, 9, 29))
    case.suspend(reason="x", actor=CLERK, timestamp=at(2025, 9, 30))
    case.extend(days=5, reason="y", actor=CLERK)
    case.resume(actor=CLERK, timestamp=at(2025, 10, 13))
    assert case.statutory_due == date(2025, 11, 14)


@pytest.mark.parametrize("days", [0, -1, 61, True, "5"])
def test_an_extension_must_be_between_1_and_60_working_days(days):
    with pytest.raises(InvalidInput) as err:
        accepted_case().extend(days=days, reason="x", actor=CLERK)
    assert err.value.field == "days"


def test_overdue_is_a_function_of_the_clock_not_an_event():
    case = accepted_case(when=at(2025, 9, 29))
    version = case.version
    assert not case.is_overdue(at(2025, 11, 3, 23))
    assert case.is_overdue(at(2025, 11, 4, 0))
    assert case.is_past_promised(at(2025, 10, 14)) and not case.is_past_promised(at(2025, 10, 13))
    assert case.version == version


def test_a_submitted_case_is_never_overdue():
    assert not submit_case().is_overdue(at(2030, 1, 1))


def test_a_decision_comes_only_after_acceptance():
    case = submit_case()
    with pytest.raises(IllegalTransition, match="only after acceptance"):
        case.decide(outcome="approved", actor=CLERK)


def test_an_accepted_case_is_approved_and_concluded():
    case = accepted_case(when=at(2025, 9, 29))
    case.decide(
        outcome="approved",
        reasons="符合条件",
        legal_basis="食品安全法",
        actor=CLERK,
        timestamp=at(2025, 10, 10),
    )
    assert case.status == "approved" and not case.is_open and case.is_final
    assert case.decision["on_time"] is True and case.decided_on == date(2025, 10, 10)


def test_a_late_decision_is_recorded_as_not_on_time():
    case = accepted_case(when=at(2025, 9, 29))
    case.decide(
        outcome="rejected",
        reasons="不符合条件",
        legal_basis=REJECTION,
        actor=CLERK,
        timestamp=at(2025, 11, 5),
    )
    assert case.status == "rejected" and case.decision["on_time"] is False


def test_a_rejection_needs_reasons_and_the_outcome_must_be_known():
    case = accepted_case()
    with pytest.raises(InvalidInput) as err:
        case.decide(outcome="rejected", actor=CLERK)
    assert err.value.field == "reasons"
    with pytest.raises(InvalidInput) as err:
        case.decide(outcome="maybe", actor=CLERK)
    assert err.value.field == "outcome"


def test_approval_of_an_item_with_a_fee_waits_for_settlement():
    case = accepted_case(publish_item(fee_fen=5000))
    payment_id = uuid4()
    case.link_payment(payment_id=payment_id, kind="fee", amount_fen=5000, actor=CLERK)
    with pytest.raises(FeeNotSettled, match=str(payment_id)):
        case.decide(outcome="approved", actor=CLERK, fee_settled=False)
    case.decide(outcome="approved", actor=CLERK, fee_settled=True)
    assert case.status == "approved"


def test_a_rejection_does_not_wait_for_the_fee():
    case = accepted_case(publish_item(fee_fen=5000))
    case.decide(outcome="rejected", reasons="材料虚假", legal_basis=REJECTION, actor=CLERK)
    assert case.status == "rejected"


def test_a_case_has_one_fee_payment():
    case = accepted_case(publish_item(fee_fen=5000))
    case.link_payment(payment_id=uuid4(), kind="fee", amount_fen=5000, actor=CLERK)
    with pytest.raises(Conflict):
        case.link_payment(payment_id=uuid4(), kind="fee", amount_fen=5000, actor=CLERK)
    case.link_payment(payment_id=uuid4(), kind="charge", amount_fen=100, actor=CLERK)
    assert [p["kind"] for p in case.payments] == ["fee", "charge"]


def test_an_approval_records_the_issued_licence():
    case = accepted_case(publish_item(licence_type="食品经营许可证", licence_valid_days=1825))
    licence_id = uuid4()
    case.decide(
        outcome="approved",
        licence_id=licence_id,
        licence_number="SCL-2025-510100-00000001",
        actor=CLERK,
    )
    assert case.licence_id == licence_id and case.licence_number == "SCL-2025-510100-00000001"


@pytest.mark.parametrize("final", ["approved", "rejected", "refused", "withdrawn"])
def test_no_transition_leaves_a_final_state(final):
    case = accepted_case() if final in ("approved", "rejected") else submit_case()
    if final in ("approved", "rejected"):
        case.decide(outcome=final, reasons="r", legal_basis=REJECTION, actor=CLERK)
    elif final == "refused":
        case.reject_acceptance(reason="r", legal_basis=REFUSAL, actor=CLERK)
    else:
        case.withdraw(actor=CITIZEN)
    attempts = [
        lambda: case.accept(actor=CLERK),
        lambda: case.request_materials(codes=["OTHER"], actor=CLERK),
        lambda: case.supplement_materials(
            materials=[{"code": "OTHER", "document_ref": "x"}], actor=CITIZEN
        ),
        lambda: case.reject_acceptance(reason="r", legal_basis=REFUSAL, actor=CLERK),
        lambda: case.assign(clerk_sub="c", actor=CLERK),
        lambda: case.suspend(reason="r", actor=CLERK),
        lambda: case.resume(actor=CLERK),
        lambda: case.extend(days=1, reason="r", actor=CLERK),
        lambda: case.decide(outcome="approved", actor=CLERK, fee_settled=True),
        lambda: case.withdraw(actor=CITIZEN),
    ]
    for attempt in attempts:
        with pytest.raises(IllegalTransition, match=f"'{final}'"):
            attempt()
    assert case.status == final


def test_withdrawal_is_possible_before_a_decision_only():
    for case in (submit_case(), accepted_case()):
        case.withdraw(reason="不再需要", actor=CITIZEN)
        assert case.status == "withdrawn"
    decided = accepted_case()
    decided.decide(outcome="approved", actor=CLERK)
    with pytest.raises(IllegalTransition, match="decision has already been made"):
        decided.withdraw(actor=CITIZEN)


def test_a_suspended_case_can_be_withdrawn():
    case = accepted_case()
    case.suspend(reason="x", actor=CLERK)
    case.withdraw(actor=CITIZEN)
    assert case.status == "withdrawn"


def test_a_case_is_rated_once_after_its_decision():
    case = accepted_case()
    with pytest.raises(IllegalTransition, match="only after its decision"):
        case.rate(score=5, actor=CITIZEN)
    case.decide(outcome="approved", actor=CLERK)
    case.rate(score=4, comment="很快", actor=CITIZEN)
    assert case.rating == {"score": 4, "comment": "很快"}
    with pytest.raises(Conflict, match="already rated"):
        case.rate(score=5, actor=CITIZEN)


@pytest.mark.parametrize("score", [0, 6, 3.5, True, "5"])
def test_a_rating_is_a_whole_number_from_1_to_5(score):
    case = accepted_case()
    case.decide(outcome="approved", actor=CLERK)
    with pytest.raises(InvalidInput) as err:
        case.rate(score=score, actor=CITIZEN)
    assert err.value.field == "score"


def test_a_withdrawn_case_cannot_be_rated():
    case = submit_case()
    case.withdraw(actor=CITIZEN)
    with pytest.raises(IllegalTransition):
        case.rate(score=3, actor=CITIZEN)


def test_every_event_carries_actor_and_department_and_builds_the_timeline():
    case = accepted_case()
    case.assign(clerk_sub="clerk-9", actor=CLERK)
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == ["CaseSubmitted", "CaseAccepted", "CaseAssigned"]
    assert all(e.department == "market-regulation" for e in events)
    assert [e.actor["role"] for e in events] == ["citizen", "clerk", "clerk"]
    assert [(t["step"], t["role"]) for t in case.timeline] == [
        ("CaseSubmitted", "citizen"),
        ("CaseAccepted", "clerk"),
        ("CaseAssigned", "clerk"),
    ]


def test_a_refused_command_appends_nothing_and_changes_nothing():
    case = submit_case(materials=[])
    case.collect_events()
    before = dict(case.__dict__)
    with pytest.raises(MaterialsMissing):
        case.accept(actor=CLERK)
    assert case.collect_events() == [] and case.__dict__ == before


def test_applicant_data_is_masked_for_auditors():
    masked = submit_case().masked_applicant()
    assert masked["name"] == "张*三" and masked["party_id"].endswith(APPLICANT["party_id"][-4:])
    assert masked["party_id"].startswith("*" * 14)
