"""Transfer of a case between departments (转办): the rules, the clock and the payments that
follow, through the real application on an in-memory store (docs/design.md, "Transfer of a
case")."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from domain.calendar import DEFAULT_CALENDAR
from domain.errors import IllegalTransition, InvalidInput, NotFound, StaleVersion
from domain.model import case_transfer
from domain.model.case import Case
from domain.model.payment import Payment
from domain.model.service_item import ServiceItem
from domain.services import Casetrack
from domain.store.records import IdempotencyRequest
from tests.support.readmodels import expected_documents

from .conftest import ADMIN, ALL_MATERIALS, APPLICANT, CITIZEN, GATEWAY, at, item_terms

CODE = "510100-XK-0001"  # market-regulation, Chengdu, with a fee
ELSEWHERE = "510700-XK-0001"  # the same item in Mianyang
NOT_THE_SAME = "510300-XK-0001"  # the same code's shape in Zigong, another legal basis
SUCCESSOR = "510100-XK-0101"  # health takes the item over in Chengdu
NEXT = "510100-XK-0102"  # and hands it on to ecology-environment
FEE = 5000
MARKET = ("market-regulation", "510100")
CHENGDU_CLERK = {"role": "clerk", "subject": "clerk-cd"}
MIANYANG_CLERK = {"role": "clerk", "subject": "clerk-my"}


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
    publish = application.publish_item
    publish(code=CODE, actor=ADMIN, **item_terms(fee_fen=FEE, successor_code=SUCCESSOR))
    publish(code=ELSEWHERE, actor=ADMIN, **item_terms(region_code="510700", fee_fen=FEE))
    publish(
        code=NOT_THE_SAME,
        actor=ADMIN,
        **item_terms(region_code="510300", legal_basis="《特种设备安全法》第三十三条"),
    )
    publish(code=SUCCESSOR, actor=ADMIN, **item_terms(department="health", successor_code=NEXT))
    publish(code=NEXT, actor=ADMIN, **item_terms(department="ecology-environment"))
    yield application
    application.close()


def submit(app: Casetrack) -> str:
    return app.submit_case(
        item_code=CODE, applicant=APPLICANT, channel="web", materials=ALL_MATERIALS, actor=CITIZEN
    )["case_id"]


def transfer(app: Casetrack, case_id: str, department: str, region_code: str, **kw):
    return app.transfer_case(
        case_id=case_id,
        department=department,
        region_code=region_code,
        reason=kw.pop("reason", "不属于本部门职权范围"),
        actor=kw.pop("actor", CHENGDU_CLERK),
        holder=kw.pop("holder", MARKET),
        **kw,
    )


def case_of(app: Casetrack, case_id: str) -> Case:
    return app.repository.get(UUID(case_id))


# --- where a case may go ----------------------------------------------------------------


def test_a_case_goes_to_the_same_item_of_its_department_in_another_region(app):
    case_id = submit(app)
    outcome = transfer(app, case_id, "market-regulation", "510700")
    assert outcome.status == 200
    assert outcome.body["status"] == "submitted" and outcome.version == 2
    case = case_of(app, case_id)
    assert (case.department, case.region_code) == ("market-regulation", "510700")
    event = app.read_stream(UUID(case_id))[-1]
    assert event.topic.endswith("Case.CaseTransferred") and event.position == outcome.position


def test_a_case_goes_to_the_department_of_its_items_successor_and_the_successors_successor(app):
    case_id = submit(app)
    transfer(app, case_id, "health", "510100")
    assert case_of(app, case_id).department == "health"
    transfer(app, case_id, "ecology-environment", "510100", holder=("health", "510100"))
    assert case_of(app, case_id).department == "ecology-environment"


def test_the_transfer_event_says_where_from_to_which_item_and_why(app):
    case_id = submit(app)
    transfer(app, case_id, "health", "510100", reason="职能已划转")
    event = app.repository.get(UUID(case_id)).timeline[-1]
    assert event["step"] == "CaseTransferred" and event["role"] == "clerk"
    document = expected_documents(app)["cases"][case_id]
    assert document["transfers"] == [
        {
            "from_department": "market-regulation",
            "from_region_code": "510100",
            "department": "health",
            "region_code": "510100",
            "item_code": SUCCESSOR,
            "reason": "职能已划转",
            "at": document["transfers"][0]["at"],
        }
    ]
    assert (document["department"], document["region_code"]) == ("health", "510100")


# --- refusals: nothing is appended --------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "region_code", "field", "message"),
    [
        ("no-such-department", "510100", "department", "there is no department"),
        ("Market Regulation", "510100", "department", "slug"),
        ("traffic-police", "510100", "department", "does not offer item"),
        ("health", "510700", "department", "does not offer item"),
        ("market-regulation", "510300", "department", "does not offer item"),
        ("market-regulation", "510104", "department", "does not offer item"),
        ("market-regulation", "510100", "department", "already with market-regulation"),
        ("market-regulation", "51", "region_code", "6-digit"),
    ],
)
def test_a_transfer_nobody_can_receive_is_invalid_and_appends_nothing(
    app, department, region_code, field, message
):
    case_id = submit(app)
    before = app.max_position()
    with pytest.raises(InvalidInput, match=message) as err:
        transfer(app, case_id, department, region_code)
    assert err.value.field == field
    assert app.max_position() == before and case_of(app, case_id).department == "market-regulation"


def test_a_withdrawn_successor_receives_nothing(app):
    app.withdraw_item(code=SUCCESSOR, actor=ADMIN, reason="职能调整")
    case_id = submit(app)
    with pytest.raises(InvalidInput, match="does not offer"):
        transfer(app, case_id, "health", "510100")
    # The chain still leads past it to its own successor, which is published.
    assert transfer(app, case_id, "ecology-environment", "510100").status == 200


def test_a_case_whose_item_was_withdrawn_goes_to_its_successor(app):
    case_id = submit(app)
    app.withdraw_item(code=CODE, actor=ADMIN, reason="职能划转至卫生健康部门")
    assert transfer(app, case_id, "health", "510100").status == 200


@pytest.mark.parametrize("conclude", ["withdraw", "refuse", "approve"])
def test_a_concluded_case_is_not_transferred(app, conclude):
    case_id = submit(app)
    if conclude == "withdraw":
        app.withdraw_case(case_id=case_id, actor=CITIZEN)
    elif conclude == "refuse":
        app.reject_acceptance(case_id=case_id, reason="不予受理", actor=CHENGDU_CLERK)
    else:
        fee = app.accept_case(case_id=case_id, actor=CHENGDU_CLERK)["payment_id"]
        app.settle_payment(
            payment_id=fee, channel="unionpay", transaction_ref="T1", amount_fen=FEE, actor=GATEWAY
        )
        app.decide_case(case_id=case_id, outcome="approved", actor=CHENGDU_CLERK)
    before = app.max_position()
    with pytest.raises(IllegalTransition, match="concluded"):
        transfer(app, case_id, "market-regulation", "510700")
    assert app.max_position() == before


def test_only_the_holding_department_and_region_transfer_it(app):
    case_id = submit(app)
    before = app.max_position()
    for holder in [("health", "510100"), ("market-regulation", "510700"), (None, None)]:
        with pytest.raises(NotFound):
            transfer(app, case_id, "market-regulation", "510700", holder=holder)
    # A province clerk of the department covers Chengdu.
    assert app.max_position() == before
    transfer(app, case_id, "market-regulation", "510700", holder=("market-regulation", "510000"))


def test_a_stale_version_or_an_empty_reason_appends_nothing(app):
    case_id = submit(app)
    before = app.max_position()
    with pytest.raises(StaleVersion):
        transfer(app, case_id, "health", "510100", expected_version=7)
    with pytest.raises(InvalidInput) as err:
        transfer(app, case_id, "health", "510100", reason="  ")
    assert err.value.field == "reason" and app.max_position() == before


def test_after_the_transfer_only_the_receiving_department_holds_it_and_a_retry_replays(app):
    case_id = submit(app)
    key = IdempotencyRequest(scope="clerk-cd\nPOST /cases/transfer", key="k1", request_hash="h")
    first = transfer(app, case_id, "market-regulation", "510700", idempotency=key)
    again = transfer(app, case_id, "market-regulation", "510700", idempotency=key)
    assert again.replayed and again.body == first.body
    with pytest.raises(NotFound):
        transfer(app, case_id, "health", "510100")
    back = transfer(
        app, case_id, "market-regulation", "510100", holder=("market-regulation", "510700")
    )
    assert back.status == 200 and case_of(app, case_id).region_code == "510100"


# --- the clock and the payments -----------------------------------------------------------


def test_the_clock_restarts_at_the_receiving_departments_acceptance(app, clock):
    case_id = submit(app)
    clock.now = at(2025, 9, 29)
    fee = app.accept_case(case_id=case_id, actor=CHENGDU_CLERK)["payment_id"]
    app.extend_case(case_id=case_id, days=5, reason="现场核查", actor=CHENGDU_CLERK)
    clock.now = at(2025, 10, 9)
    app.suspend_case(case_id=case_id, reason="等待鉴定", actor=CHENGDU_CLERK)
    app.assign_case(case_id=case_id, clerk_sub="clerk-cd", actor=CHENGDU_CLERK)
    clock.now = at(2025, 10, 10)
    transfer(app, case_id, "market-regulation", "510700")
    case = case_of(app, case_id)
    assert case.status == "submitted" and case.assigned_to is None
    assert (case.accepted_on, case.statutory_due, case.promised_due) == (None, None, None)
    assert (case.suspended_on, case.statutory_remaining, case.extended_days) == (None, None, 0)
    assert not case.is_overdue(at(2026, 6, 1))  # no clock runs until it is accepted again

    clock.now = at(2025, 10, 13)
    accepted = app.accept_case(case_id=case_id, actor=MIANYANG_CLERK)
    case = case_of(app, case_id)
    assert case.accepted_on.isoformat() == "2025-10-13"
    assert case.statutory_due == DEFAULT_CALENDAR.deadline(case.accepted_on, 20).due
    assert case.promised_due == DEFAULT_CALENDAR.deadline(case.accepted_on, 5).due
    # The fee requested in Chengdu follows the case; acceptance does not request a second one.
    assert accepted.body["payment_id"] == fee and len(case.payments) == 1
    payment = app.repository.get(UUID(fee))
    assert (payment.department, payment.region_code) == ("market-regulation", "510700")


def test_materials_requested_before_the_transfer_are_asked_again_by_the_receiver(app):
    case_id = submit(app)
    app.request_materials(case_id=case_id, codes=["OTHER"], actor=CHENGDU_CLERK)
    transfer(app, case_id, "health", "510100")
    case = case_of(app, case_id)
    assert case.status == "submitted" and case.requested_materials == []
    event = [e for e in app.read_stream(UUID(case_id)) if e.topic.endswith("CaseTransferred")]
    assert b'"materials_requested"' in event[0].state  # moved_from.status


def test_every_payment_of_the_case_follows_it_in_the_same_commit(app):
    case_id = submit(app)
    fee = app.accept_case(case_id=case_id, actor=CHENGDU_CLERK)["payment_id"]
    app.settle_payment(
        payment_id=fee, channel="unionpay", transaction_ref="T2", amount_fen=FEE, actor=GATEWAY
    )
    charge = app.request_charge(
        amount_fen=300,
        payer_party_id=APPLICANT["party_id"],
        case_id=case_id,
        due_date=at(2025, 10, 31).date(),
        actor=CHENGDU_CLERK,
    )["payment_id"]
    app.cancel_payment(payment_id=charge, reason="误收", actor=CHENGDU_CLERK)
    outcome = transfer(app, case_id, "health", "510100")
    for payment_id in (fee, charge):
        stream = app.read_stream(UUID(payment_id))
        assert stream[-1].topic.endswith("Payment.PaymentTransferred")
        assert stream[-1].position <= outcome.position
        payment = app.repository.get(UUID(payment_id))
        assert isinstance(payment, Payment) and payment.department == "health"
    payments = expected_documents(app)["payments"]
    assert {payments[p]["department"] for p in (fee, charge)} == {"health"}
    assert payments[fee]["status"] == "settled" and payments[charge]["status"] == "cancelled"


def test_a_licence_issued_after_the_transfer_is_the_receiving_departments(app, clock):
    app.revise_item(
        code=CODE,
        actor=ADMIN,
        **item_terms(fee_fen=FEE, licence_type="食品经营许可证", successor_code=SUCCESSOR),
    )
    case_id = submit(app)
    transfer(app, case_id, "market-regulation", "510700")
    fee = app.accept_case(case_id=case_id, actor=MIANYANG_CLERK)["payment_id"]
    app.settle_payment(
        payment_id=fee, channel="unionpay", transaction_ref="T3", amount_fen=FEE, actor=GATEWAY
    )
    number = app.decide_case(case_id=case_id, outcome="approved", actor=MIANYANG_CLERK)[
        "licence_number"
    ]
    assert number.startswith(f"SCL-{clock.now.year}-510700-")
    licence = expected_documents(app)["licences"]
    (document,) = [d for d in licence.values() if d["licence_number"] == number]
    assert (document["department"], document["region_code"]) == ("market-regulation", "510700")


# --- the catalogue's successor ------------------------------------------------------------


def test_the_successor_code_is_checked_and_optional(app):
    with pytest.raises(InvalidInput) as err:
        app.publish_item(code="510100-XK-0200", actor=ADMIN, **item_terms(successor_code="x"))
    assert err.value.field == "successor_code"
    with pytest.raises(InvalidInput, match="its own successor"):
        app.revise_item(code=CODE, actor=ADMIN, **item_terms(successor_code=CODE))
    app.revise_item(code=CODE, actor=ADMIN, **item_terms(successor_code=None))
    assert app.get_item(CODE).successor_code is None
    assert expected_documents(app)["catalog"][str(app.get_item(CODE).id)]["successor_code"] is None


def test_an_item_published_before_the_field_has_no_successor():
    def item(code: str, department: str, **terms) -> ServiceItem:
        published = ServiceItem.publish(
            code=code, actor=ADMIN, **item_terms(department=department, **terms)
        )
        published.terms.pop("successor_code")  # as replayed from an event of before the field
        return published

    catalogue = {CODE: item(CODE, "market-regulation")}
    assert catalogue[CODE].successor_code is None
    with pytest.raises(InvalidInput, match="names no successor"):
        case_transfer.receiving_item(CODE, "health", "510100", catalogue.get)


def test_a_cycle_of_successors_ends():
    a = ServiceItem.publish(code=CODE, actor=ADMIN, **item_terms(successor_code=SUCCESSOR))
    b = ServiceItem.publish(
        code=SUCCESSOR, actor=ADMIN, **item_terms(department="health", successor_code=CODE)
    )
    catalogue = {CODE: a, SUCCESSOR: b}
    assert case_transfer.receiving_item(CODE, "health", "510100", catalogue.get) is b
    with pytest.raises(InvalidInput):
        case_transfer.receiving_item(CODE, "taxation", "510100", catalogue.get)
