from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import Conflict, IllegalTransition, InvalidInput
from domain.model.payment import Payment

from .conftest import CLERK, GATEWAY, PERSON_ID, at


def fee(amount_fen: int = 5000) -> Payment:
    return Payment.request(
        kind="fee",
        amount_fen=amount_fen,
        payer_party_id=PERSON_ID,
        payer_name="张小三",
        case_id=uuid4(),
        due_date=date(2025, 10, 20),
        department="market-regulation",
        region_code="510100",
        actor=CLERK,
        timestamp=at(2025, 9, 29),
    )


def settled(amount_fen: int = 5000) -> Payment:
    payment = fee(amount_fen)
    assert payment.settle(
        channel="unionpay", transaction_ref="T-1", amount_fen=amount_fen, actor=GATEWAY
    )
    return payment


def test_a_requested_payment_is_open_with_its_amount_due():
    payment = fee()
    assert (payment.status, payment.amount_fen, payment.currency) == ("requested", 5000, "CNY")
    assert type(payment.collect_events()[0]).__name__ == "PaymentRequested"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"kind": "tip"}, "kind"),
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": 10.5}, "amount_fen"),
        ({"payer_party_id": "123"}, "payer_party_id"),
        ({"case_id": None}, "reference"),
        ({"violation_id": uuid4()}, "reference"),
        ({"kind": "fine"}, "reference"),
        ({"due_date": "2025-10-20"}, "due_date"),
    ],
)
def test_an_invalid_request_is_refused_with_the_field_named(override, field):
    args = dict(
        kind="fee",
        amount_fen=5000,
        payer_party_id=PERSON_ID,
        case_id=uuid4(),
        due_date=date(2025, 10, 20),
        department="market-regulation",
        region_code="510100",
        actor=CLERK,
    )
    args.update(override)
    with pytest.raises(InvalidInput) as err:
        Payment.request(**args)
    assert err.value.field == field


def test_settling_records_channel_reference_and_amount():
    payment = settled()
    assert (payment.status, payment.paid_fen, payment.transaction_ref) == ("settled", 5000, "T-1")
    assert payment.settled_version == 2 == payment.version


def test_settling_again_with_the_same_reference_is_a_no_op():
    payment = settled()
    payment.collect_events()
    assert (
        payment.settle(channel="unionpay", transaction_ref="T-1", amount_fen=5000, actor=GATEWAY)
        is False
    )
    assert payment.collect_events() == []


def test_the_same_reference_with_another_amount_is_an_error():
    payment = settled()
    with pytest.raises(InvalidInput) as err:
        payment.settle(channel="unionpay", transaction_ref="T-1", amount_fen=4000, actor=GATEWAY)
    assert err.value.field == "amount_fen"


def test_a_second_settlement_with_another_reference_is_a_conflict():
    payment = settled()
    with pytest.raises(IllegalTransition, match="T-1"):
        payment.settle(channel="alipay", transaction_ref="T-2", amount_fen=5000, actor=GATEWAY)


def test_the_amount_settled_must_equal_the_amount_due():
    payment = fee()
    with pytest.raises(InvalidInput, match="5000 fen") as err:
        payment.settle(channel="unionpay", transaction_ref="T-1", amount_fen=4999, actor=GATEWAY)
    assert err.value.field == "amount_fen" and payment.status == "requested"


def test_refunds_are_partial_or_full_and_never_exceed_what_was_paid():
    payment = settled(5000)
    payment.refund(amount_fen=2000, reason="多收", actor=CLERK)
    assert (payment.status, payment.refundable_fen) == ("partially_refunded", 3000)
    with pytest.raises(InvalidInput, match="3000 fen") as err:
        payment.refund(amount_fen=3001, reason="x", actor=CLERK)
    assert err.value.field == "amount_fen"
    payment.refund(amount_fen=3000, reason="撤销", actor=CLERK)
    assert (payment.status, payment.refunded_fen) == ("refunded", 5000)
    with pytest.raises(IllegalTransition, match="'refunded'"):
        payment.refund(amount_fen=1, reason="x", actor=CLERK)


def test_an_unpaid_payment_cannot_be_refunded():
    with pytest.raises(IllegalTransition, match="'requested'"):
        fee().refund(amount_fen=1, reason="x", actor=CLERK)


def test_only_an_unpaid_payment_can_be_cancelled():
    payment = fee()
    payment.cancel(reason="案件撤回", actor=CLERK)
    assert payment.status == "cancelled"
    with pytest.raises(IllegalTransition, match="cancelled"):
        payment.settle(channel="unionpay", transaction_ref="T-9", amount_fen=5000, actor=GATEWAY)
    with pytest.raises(IllegalTransition, match="'settled'"):
        settled().cancel(reason="x", actor=CLERK)


def test_overdue_is_computed_from_the_due_date_and_the_clock():
    payment = fee()
    assert not payment.is_overdue(at(2025, 10, 20, 23))
    assert payment.is_overdue(at(2025, 10, 21, 0))
    payment.settle(channel="unionpay", transaction_ref="T-1", amount_fen=5000, actor=GATEWAY)
    assert not payment.is_overdue(at(2026, 1, 1))


def test_an_open_payment_blocks_another_of_its_kind():
    payment = fee()
    with pytest.raises(Conflict, match="still open"):
        payment.check_conflict_free()
    settled().check_conflict_free()
