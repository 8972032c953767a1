"""The commands, end to end through the real application on a throw-away store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import (
    Conflict,
    Duplicate,
    FeeNotSettled,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidInput,
    MaterialsMissing,
    NotFound,
    StaleVersion,
)
from domain.legal_basis import REFUSAL, REJECTION
from domain.model.case import Case
from domain.model.payment import Payment
from domain.model.service_item import item_id
from domain.model.violation import Violation
from domain.services import Casetrack
from domain.store.records import IdempotencyRequest

from .conftest import (
    ADMIN,
    ALL_MATERIALS,
    APPLICANT,
    BUSINESS,
    CITIZEN,
    CLERK,
    GATEWAY,
    at,
    item_terms,
)

CODE = "510100-XK-0001"
LICENSED = "510100-XK-0002"
FEE = 5000


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(at(2025, 9, 26))


@pytest.fixture
def app(clock):
    application = Casetrack({"CASETRACK_EVENT_STORE": "memory://"}, clock=clock)
    application.publish_item(code=CODE, actor=ADMIN, **item_terms())
    application.publish_item(
        code=LICENSED,
        actor=ADMIN,
        **item_terms(
            name="食品经营许可(含证照)",
            fee_fen=FEE,
            licence_type="食品经营许可证",
            licence_valid_days=1825,
        ),
    )
    yield application
    application.close()


def submit(app: Casetrack, code: str = CODE, materials=ALL_MATERIALS) -> str:
    return app.submit_case(
        item_code=code, applicant=APPLICANT, channel="web", materials=materials, actor=CITIZEN
    )["case_id"]


def case_of(app: Casetrack, case_id: str) -> Case:
    return app.repository.get(UUID(case_id))


# --- catalogue --------------------------------------------------------------------------


def test_publishing_answers_code_version_and_position(app):
    outcome = app.publish_item(code="510100-XK-0003", actor=ADMIN, **item_terms())
    assert outcome.status == 201
    assert outcome.body["code"] == "510100-XK-0003" and outcome.version == 1
    assert outcome.position == app.max_position()


def test_publishing_a_code_twice_is_a_duplicate(app):
    before = app.max_position()
    with pytest.raises(Duplicate, match=CODE):
        app.publish_item(code=CODE, actor=ADMIN, **item_terms())
    assert app.max_position() == before


def test_a_stale_expected_version_is_a_conflict_naming_the_current_version(app):
    app.revise_item(code=CODE, actor=ADMIN, expected_version=1, **item_terms(promised_days=3))
    with pytest.raises(StaleVersion, match="current version is 2") as err:
        app.revise_item(code=CODE, actor=ADMIN, expected_version=1, **item_terms(promised_days=4))
    assert err.value.current == 2


def test_open_cases_keep_the_item_revision_they_were_submitted_under(app):
    case_id = submit(app)
    app.revise_item(code=CODE, actor=ADMIN, **item_terms(promised_days=1))
    case = case_of(app, case_id)
    assert case.item["revision"] == 1 and case.item["promised_days"] == 5
    assert app.get_item(CODE).revision == 2


def test_a_withdrawn_item_takes_no_new_case(app):
    app.withdraw_item(code=CODE, actor=ADMIN, reason="事项取消")
    with pytest.raises(InvalidInput) as err:
        submit(app)
    assert err.value.field == "item_code"


def test_an_unknown_item_is_invalid_input(app):
    with pytest.raises(InvalidInput) as err:
        app.submit_case(
            item_code="510100-XK-9999", applicant=APPLICANT, channel="web", actor=CITIZEN
        )
    assert err.value.field == "item_code"


def test_an_items_aggregate_is_found_by_its_code(app):
    assert app.repository.get(item_id(CODE)).code == CODE


# --- cases ------------------------------------------------------------------------------


def test_case_numbers_count_per_year_and_region(app, clock):
    first = app.submit_case(item_code=CODE, applicant=APPLICANT, channel="web", actor=CITIZEN)
    second = app.submit_case(item_code=CODE, applicant=APPLICANT, channel="hall", actor=CLERK)
    clock.now = at(2026, 1, 2)
    third = app.submit_case(item_code=CODE, applicant=APPLICANT, channel="app", actor=CITIZEN)
    assert [first["case_number"], second["case_number"], third["case_number"]] == [
        "SC-2025-510100-00000001",
        "SC-2025-510100-00000002",
        "SC-2026-510100-00000001",
    ]
    assert first.status == 201 and first["status"] == "submitted"


def test_the_year_of_a_case_number_is_the_year_in_shanghai(app, clock):
    clock.now = datetime.fromisoformat(
        "2025-12-31T16:30:00+00:00"
    )  # 00:30 on 1 January in Shanghai
    assert app.submit_case(item_code=CODE, applicant=APPLICANT, channel="web", actor=CITIZEN)[
        "case_number"
    ].startswith("SC-2026-")


def test_the_whole_lifecycle_of_a_case_without_fee(app, clock):
    case_id = submit(app, materials=[])
    app.request_materials(
        case_id=case_id, codes=["LICENCE", "LAYOUT"], actor=CLERK, expected_version=1
    )
    app.supplement_materials(case_id=case_id, materials=ALL_MATERIALS, actor=CITIZEN)
    clock.now = at(2025, 9, 29)
    accepted = app.accept_case(case_id=case_id, actor=CLERK)
    assert accepted["status"] == "accepted" and accepted["payment_id"] is None
    app.assign_case(case_id=case_id, clerk_sub="clerk-9", actor=CLERK)
    clock.now = at(2025, 9, 30)
    app.suspend_case(case_id=case_id, reason="现场核查", actor=CLERK)
    app.extend_case(case_id=case_id, days=5, reason="情况复杂", actor=CLERK)
    clock.now = at(2025, 10, 13)
    app.resume_case(case_id=case_id, actor=CLERK)
    clock.now = at(2025, 10, 20)
    decided = app.decide_case(case_id=case_id, outcome="approved", reasons="符合条件", actor=CLERK)
    assert decided["status"] == "approved" and decided["licence_number"] is None
    rated = app.rate_case(case_id=case_id, score=5, comment="满意", actor=CITIZEN)
    case = case_of(app, case_id)
    assert rated.version == case.version == 10
    assert case.statutory_due == date(2025, 11, 14) and case.decision["on_time"]
    assert case.assigned_to == "clerk-9" and case.rating["score"] == 5
    assert [t["step"] for t in case.timeline][-2:] == ["CaseDecided", "CaseRated"]


def test_acceptance_needs_every_required_material(app):
    case_id = submit(app, materials=[{"code": "LICENCE", "document_ref": "d"}])
    before = app.max_position()
    with pytest.raises(MaterialsMissing, match="LAYOUT"):
        app.accept_case(case_id=case_id, actor=CLERK)
    assert app.max_position() == before


def test_accepting_a_case_with_a_fee_requests_the_fee_in_the_same_commit(app, clock):
    case_id = submit(app, LICENSED)
    clock.now = at(2025, 9, 29)
    outcome = app.accept_case(case_id=case_id, actor=CLERK)
    fee = app.repository.get(UUID(outcome["payment_id"]))
    assert isinstance(fee, Payment)
    assert (fee.kind, fee.amount_fen, fee.status, fee.payer_party_id) == (
        "fee",
        FEE,
        "requested",
        APPLICANT["party_id"],
    )
    assert fee.case_id == UUID(case_id) and fee.due_date == date(2025, 10, 20)
    assert outcome.position == app.max_position()
    case = case_of(app, case_id)
    assert case.fee_payment_id == fee.id and case.version == 3


def test_approval_waits_for_the_fee_then_issues_the_licence(app, clock):
    case_id = submit(app, LICENSED)
    payment_id = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    with pytest.raises(FeeNotSettled):
        app.decide_case(case_id=case_id, outcome="approved", actor=CLERK)
    app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    decided = app.decide_case(case_id=case_id, outcome="approved", reasons="符合条件", actor=CLERK)
    assert decided["licence_number"] == "SCL-2025-510100-00000001"
    licence = app.get_licence(decided["licence_number"])
    assert licence.holder == APPLICANT and licence.case_id == UUID(case_id)
    assert licence.state(clock.now) == "valid" and licence.valid_until == date(
        2025, 9, 26
    ) + timedelta(days=1824)


def test_a_decision_before_acceptance_is_refused_and_names_the_status(app):
    case_id = submit(app)
    with pytest.raises(IllegalTransition, match="'submitted'"):
        app.decide_case(case_id=case_id, outcome="approved", actor=CLERK)


def test_withdrawal_cancels_the_unpaid_fee(app):
    case_id = submit(app, LICENSED)
    payment_id = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    app.withdraw_case(case_id=case_id, reason="不再需要", actor=CITIZEN)
    assert app.repository.get(UUID(payment_id)).status == "cancelled"
    with pytest.raises(IllegalTransition, match="'withdrawn'"):
        app.accept_case(case_id=case_id, actor=CLERK)


def test_no_withdrawal_after_the_decision(app):
    case_id = submit(app)
    app.accept_case(case_id=case_id, actor=CLERK)
    app.decide_case(
        case_id=case_id,
        outcome="rejected",
        reasons="不符合条件",
        legal_basis=REJECTION,
        actor=CLERK,
    )
    with pytest.raises(IllegalTransition, match="decision"):
        app.withdraw_case(case_id=case_id, actor=CITIZEN)


def test_a_case_is_rated_once(app):
    case_id = submit(app)
    app.reject_acceptance(case_id=case_id, reason="不属于本部门", legal_basis=REFUSAL, actor=CLERK)
    app.rate_case(case_id=case_id, score=2, actor=CITIZEN)
    with pytest.raises(Conflict, match="rated once"):
        app.rate_case(case_id=case_id, score=3, actor=CITIZEN)


def test_an_unknown_case_is_not_found(app):
    with pytest.raises(NotFound):
        app.accept_case(case_id=uuid4(), actor=CLERK)
    with pytest.raises(InvalidInput):
        app.accept_case(case_id="not-a-uuid", actor=CLERK)


def test_an_id_of_another_kind_of_record_is_not_found(app):
    payment_id = app.accept_case(case_id=submit(app, LICENSED), actor=CLERK)["payment_id"]
    with pytest.raises(NotFound):
        app.assign_case(case_id=payment_id, clerk_sub="x", actor=CLERK)


# --- payments ---------------------------------------------------------------------------


def test_settling_twice_with_the_same_reference_appends_nothing(app):
    payment_id = app.accept_case(case_id=submit(app, LICENSED), actor=CLERK)["payment_id"]
    first = app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    before = app.max_position()
    again = app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    assert app.max_position() == before
    assert (
        again["version"] == first["version"]
        and again["status"] == "settled"
        and again.body["repeated"]
    )
    with pytest.raises(InvalidInput):
        app.settle_payment(
            payment_id=payment_id,
            channel="unionpay",
            transaction_ref="UP-1",
            amount_fen=FEE - 1,
            actor=GATEWAY,
        )


def test_refunds_never_exceed_what_was_paid(app):
    payment_id = app.accept_case(case_id=submit(app, LICENSED), actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    assert (
        app.refund_payment(payment_id=payment_id, amount_fen=1000, reason="多收", actor=CLERK)[
            "status"
        ]
        == "partially_refunded"
    )
    with pytest.raises(InvalidInput):
        app.refund_payment(payment_id=payment_id, amount_fen=FEE, reason="x", actor=CLERK)


def test_one_open_fee_or_charge_per_case(app):
    case_id = submit(app, LICENSED)
    fee_id = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    charge = dict(
        amount_fen=800,
        payer_party_id=APPLICANT["party_id"],
        due_date=date(2025, 10, 30),
        actor=CLERK,
        case_id=case_id,
    )
    with pytest.raises(Conflict, match="still open"):
        app.request_charge(**charge)
    app.settle_payment(
        payment_id=fee_id, channel="unionpay", transaction_ref="UP-1", amount_fen=FEE, actor=GATEWAY
    )
    outcome = app.request_charge(**charge)
    assert outcome.status == 201 and outcome["status"] == "requested"
    assert [p["kind"] for p in case_of(app, case_id).payments] == ["fee", "charge"]
    with pytest.raises(Conflict):
        app.request_charge(**charge)


def test_only_an_unpaid_payment_is_cancelled(app):
    payment_id = app.accept_case(case_id=submit(app, LICENSED), actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    with pytest.raises(IllegalTransition, match="'settled'"):
        app.cancel_payment(payment_id=payment_id, reason="x", actor=CLERK)


# --- violations and licences ------------------------------------------------------------


def record(app: Casetrack, fine_fen: int = 20000):
    return app.record_violation(
        party_id=BUSINESS["party_id"],
        party_name=BUSINESS["name"],
        description="超范围经营",
        location="锦江区春熙路1号",
        region_code="510104",
        occurred_at=at(2025, 9, 20),
        fine_fen=fine_fen,
        legal_basis="《食品安全法》第一百二十二条",
        department="market-regulation",
        actor=CLERK,
    )


def test_recording_a_violation_requests_its_fine_in_the_same_commit(app):
    outcome = record(app)
    assert outcome.status == 201 and outcome["status"] == "fine_requested"
    fine = app.repository.get(UUID(outcome["payment_id"]))
    assert (fine.kind, fine.amount_fen, fine.due_date) == ("fine", 20000, date(2025, 10, 11))
    assert fine.violation_id == UUID(outcome["violation_id"])


def test_a_violation_without_a_fine_requests_none(app):
    outcome = record(app, fine_fen=0)
    assert outcome["payment_id"] is None and outcome["status"] == "recorded"


def test_annulment_cancels_an_unpaid_fine(app):
    outcome = record(app)
    app.contest_violation(violation_id=outcome["violation_id"], reason="已取得许可", actor=CITIZEN)
    app.resolve_violation(
        violation_id=outcome["violation_id"], outcome="annulled", reason="复核撤销", actor=CLERK
    )
    assert app.repository.get(UUID(outcome["payment_id"])).status == "cancelled"


def test_annulment_refunds_a_paid_fine(app):
    outcome = record(app)
    app.settle_payment(
        payment_id=outcome["payment_id"],
        channel="alipay",
        transaction_ref="AP-1",
        amount_fen=20000,
        actor=GATEWAY,
    )
    app.resolve_violation(
        violation_id=outcome["violation_id"], outcome="annulled", reason="复核撤销", actor=CLERK
    )
    fine = app.repository.get(UUID(outcome["payment_id"]))
    assert (fine.status, fine.refunded_fen) == ("refunded", 20000)


def test_an_upheld_violation_keeps_its_fine(app):
    outcome = record(app)
    app.resolve_violation(violation_id=outcome["violation_id"], outcome="upheld", actor=CLERK)
    assert isinstance(app.repository.get(UUID(outcome["violation_id"])), Violation)
    assert app.repository.get(UUID(outcome["payment_id"])).status == "requested"


def test_licences_are_suspended_resumed_renewed_and_revoked_by_number(app, clock):
    case_id = submit(app, LICENSED)
    payment_id = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    number = app.decide_case(case_id=case_id, outcome="approved", actor=CLERK)["licence_number"]
    assert (
        app.suspend_licence(licence_number=number, reason="整改", actor=CLERK)["status"]
        == "suspended"
    )
    assert app.resume_licence(licence_number=number, actor=CLERK)["status"] == "active"
    renewed = app.renew_licence(licence_number=number, actor=CLERK, expected_version=3)
    assert renewed["valid_until"] == (date(2025, 9, 26) + timedelta(days=1824 + 1825)).isoformat()
    app.revoke_licence(licence_number=number, reason="违法", actor=CLERK)
    assert app.get_licence(number).state(clock.now) == "revoked"
    with pytest.raises(NotFound):
        app.revoke_licence(licence_number="SCL-2025-510100-09999999", reason="x", actor=CLERK)


# --- idempotency and atomicity ----------------------------------------------------------


def test_the_same_idempotency_key_and_body_returns_the_stored_answer_and_appends_nothing(app):
    key = IdempotencyRequest(scope="citizen-1:POST:/cases", key="k-1", request_hash="h-1")
    first = app.submit_case(
        item_code=CODE, applicant=APPLICANT, channel="web", actor=CITIZEN, idempotency=key
    )
    before = app.max_position()
    again = app.submit_case(
        item_code=CODE, applicant=APPLICANT, channel="web", actor=CITIZEN, idempotency=key
    )
    assert again.replayed and again.body == first.body and again.status == 201
    assert app.max_position() == before


def test_the_same_idempotency_key_with_another_body_is_refused(app):
    app.submit_case(
        item_code=CODE,
        applicant=APPLICANT,
        channel="web",
        actor=CITIZEN,
        idempotency=IdempotencyRequest(scope="s", key="k", request_hash="h-1"),
    )
    with pytest.raises(IdempotencyKeyReused):
        app.submit_case(
            item_code=CODE,
            applicant=APPLICANT,
            channel="app",
            actor=CITIZEN,
            idempotency=IdempotencyRequest(scope="s", key="k", request_hash="h-2"),
        )


def test_every_stored_event_carries_actor_and_department(app):
    case_id = submit(app, LICENSED)
    app.accept_case(case_id=case_id, actor=CLERK)
    events = list(app.events.get(UUID(case_id)))
    assert [type(e).__name__ for e in events] == [
        "CaseSubmitted",
        "CaseAccepted",
        "CasePaymentLinked",
    ]
    assert [e.actor["role"] for e in events] == ["citizen", "clerk", "clerk"]
    assert {e.department for e in events} == {"market-regulation"}


def test_every_aggregate_state_survives_a_snapshot(app):
    case_id = submit(app, LICENSED)
    payment_id = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=payment_id,
        channel="unionpay",
        transaction_ref="UP-1",
        amount_fen=FEE,
        actor=GATEWAY,
    )
    number = app.decide_case(case_id=case_id, outcome="approved", actor=CLERK)["licence_number"]
    violation_id = record(app)["violation_id"]
    licence_id = app.get_licence(number).id
    ids = [UUID(case_id), UUID(payment_id), licence_id, UUID(violation_id), item_id(LICENSED)]
    for aggregate_id in ids:
        before = app.repository.get(aggregate_id)
        app.take_snapshot(aggregate_id)
        after = app.repository.get(aggregate_id)
        assert after.__dict__ == before.__dict__
        assert next(iter(app.snapshots.get(aggregate_id))).originator_version == before.version


def test_a_stale_version_refuses_a_settlement_and_appends_nothing(app):
    payment_id = app.accept_case(case_id=submit(app, LICENSED), actor=CLERK)["payment_id"]
    before = app.max_position()
    with pytest.raises(StaleVersion, match="current version is 1"):
        app.settle_payment(
            payment_id=payment_id,
            channel="unionpay",
            transaction_ref="UP-1",
            amount_fen=FEE,
            actor=GATEWAY,
            expected_version=2,
        )
    assert app.max_position() == before
