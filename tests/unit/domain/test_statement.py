"""A gateway's statement: reading the CSV (bad lines named as in the file) and matching it
against the payments' settlements and refunds of the day (docs/api.md, "Reconciliation")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import CasetrackApplication
from domain.errors import Conflict, InvalidStatement
from domain.model.payment import Payment
from domain.model.reconciliation import Reconciliation
from domain.model.statement import HEADER, match, parse_statement, totals
from tests.support.readmodels import expected_documents

from .conftest import CLERK, GATEWAY, PERSON_ID, SHANGHAI

DAY = date(2026, 3, 1)
FINANCE = {"role": "finance", "subject": "finance-1"}


def shanghai(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def paid(ref: str, amount_fen: int, when: datetime, *, fee_fen: int | None = 30) -> Payment:
    payment = Payment.request(
        kind="fee",
        amount_fen=amount_fen,
        payer_party_id=PERSON_ID,
        case_id=uuid4(),
        due_date=date(2026, 3, 20),
        department="market-regulation",
        region_code="510100",
        actor=CLERK,
        timestamp=when - timedelta(days=1),
    )
    payment.settle(
        channel="unionpay",
        transaction_ref=ref,
        amount_fen=amount_fen,
        fee_fen=fee_fen,
        actor=GATEWAY,
        timestamp=when,
    )
    return payment


def csv(*rows: str) -> bytes:
    return ("\n".join([",".join(HEADER), *rows]) + "\n").encode()


def test_every_bad_line_is_named_by_its_line_in_the_file_and_column():
    data = csv(
        "T-1,,pay,5000,30,2026-03-01T10:00:00+08:00",
        "",
        "T-2,not-a-uuid,gift,-5,x,yesterday",
        "T-3,,pay,100",
    )
    with pytest.raises(InvalidStatement) as err:
        parse_statement(data)
    fields = [e["field"] for e in err.value.errors]
    assert fields == [
        "line 4: payment_id",
        "line 4: type",
        "line 4: amount_fen",
        "line 4: fee_fen",
        "line 4: settled_at",
        "line 5: columns",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "line 1: header"),
        (b"ref,amount\nT-1,5\n", "line 1: header"),
        (b"\xff\xfe", "body"),
        (csv("T-1,,pay,5000,30,2026-03-01T10:00:00"), "line 2: settled_at"),
        (csv("T-1,,pay,50,60,2026-03-01T10:00:00+08:00"), "line 2: fee_fen"),
        (csv(",,pay,50,0,2026-03-01T10:00:00+08:00"), "line 2: transaction_ref"),
    ],
)
def test_a_malformed_file_is_refused(data, field):
    with pytest.raises(InvalidStatement) as err:
        parse_statement(data)
    assert err.value.errors[0]["field"] == field


def test_a_byte_order_mark_quotes_and_crlf_are_read():
    data = "\ufeff" + ",".join(HEADER) + '\r\n"T,1",,pay,5000,,2026-03-01T10:00:00+08:00\r\n'
    [line] = parse_statement(data.encode())
    assert (line.number, line.transaction_ref, line.fee_fen) == (2, "T,1", 0)


def test_partial_refunds_boundaries_duplicates_and_both_missing_sides():
    late = paid("T-LATE", 5000, shanghai(DAY, 23, 59, 59))  # still the day
    next_day = paid("T-NEXT", 3000, shanghai(DAY + timedelta(days=1), 0, 0, 0))
    refunded = paid("T-OLD", 8000, shanghai(DAY - timedelta(days=3), 9), fee_fen=None)
    refunded.refund(amount_fen=1000, reason="多收", actor=CLERK, timestamp=shanghai(DAY, 9))
    refunded.refund(amount_fen=2000, reason="多收", actor=CLERK, timestamp=shanghai(DAY, 15))
    unlisted = paid("T-UNLISTED", 700, shanghai(DAY, 11))
    mismatched = paid("T-MIS", 900, shanghai(DAY, 12))
    lines = parse_statement(
        csv(
            "T-LATE,,pay,5000,30,2026-03-01T23:59:59+08:00",
            "T-NEXT,,pay,3000,30,2026-03-02T00:00:00+08:00",
            f"T-OLD,{refunded.id},refund,1000,0,2026-03-01T09:00:00+08:00",
            "T-OLD,,refund,2000,0,2026-03-01T15:00:00+08:00",
            "T-LATE,,pay,5000,30,2026-03-01T23:59:59+08:00",
            "T-GHOST,,pay,4200,25,2026-03-01T13:00:00+08:00",
            "T-MIS,,pay,990,30,2026-03-01T12:00:00+08:00",
        )
    )
    payments = [late, next_day, refunded, unlisted, mismatched]
    result = match(lines, payments, day=DAY, gateway="unionpay")
    assert result.matched == 3
    kinds = [(e["kind"], e["transaction_ref"], e["line"]) for e in result.exceptions]
    assert kinds == [
        ("missing_in_casetrack", "T-NEXT", 3),
        ("duplicate", "T-LATE", 6),
        ("missing_in_casetrack", "T-GHOST", 7),
        ("amount_mismatch", "T-MIS", 8),
        ("missing_in_file", "T-UNLISTED", None),
    ]
    assert [e["exception_id"] for e in result.exceptions] == ["E1", "E2", "E3", "E4", "E5"]
    assert result.exceptions[4]["payment_id"] == str(unlisted.id)
    assert "2026-03-02" in result.exceptions[0]["detail"]
    assert totals(lines) == {
        "paid_fen": 5000 + 3000 + 5000 + 4200 + 990,
        "refunded_fen": 3000,
        "fees_fen": 30 * 4 + 25,
        "net_fen": 18190 - 3000 - 145,
    }
    # The next day's statement has the midnight payment and nothing else of these.
    following = match(
        parse_statement(csv("T-NEXT,,pay,3000,30,2026-03-02T00:00:00+08:00")),
        payments,
        day=DAY + timedelta(days=1),
        gateway="unionpay",
    )
    assert (following.matched, following.exceptions) == (1, [])


def test_another_gateways_payment_is_missing_in_casetrack_for_this_one():
    payment = paid("T-1", 5000, shanghai(DAY, 10))
    lines = parse_statement(csv(f"T-1,{payment.id},pay,5000,30,2026-03-01T10:00:00+08:00"))
    result = match(lines, [payment], day=DAY, gateway="alipay")
    assert [e["kind"] for e in result.exceptions] == ["missing_in_casetrack"]
    assert "not settled through this gateway" in result.exceptions[0]["detail"]


def test_resolving_every_exception_reconciles_and_a_superseded_one_is_closed():
    reconciliation = Reconciliation.record(
        gateway="unionpay",
        day=DAY,
        sequence=1,
        file_sha256="0" * 64,
        lines=1,
        matched=0,
        exceptions=[{"exception_id": "E1", "kind": "duplicate"}],
        totals={"paid_fen": 1, "refunded_fen": 0, "fees_fen": 0, "net_fen": 1},
        supersedes=None,
        actor=GATEWAY,
    )
    assert reconciliation.status == "open"
    reconciliation.resolve(
        exception_id="E1", resolution="written_off", reason="重复", actor=FINANCE
    )
    assert reconciliation.status == "reconciled"
    with pytest.raises(Conflict, match="already resolved"):
        reconciliation.resolve(
            exception_id="E1", resolution="written_off", reason="again", actor=FINANCE
        )
    reconciliation.supersede(by=uuid4(), actor=GATEWAY)
    assert reconciliation.status == "superseded"


def test_a_settlement_stored_before_fees_has_none_and_keeps_its_movements():
    """`PaymentSettled` v1 (no `fee_fen`, no class_version) is upcast: fee None."""
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        old = paid("T-1", 5000, shanghai(DAY, 10), fee_fen=None)
        old.refund(amount_fen=100, reason="多收", actor=CLERK, timestamp=shanghai(DAY, 11))
        stored = []
        for event in old.collect_events():
            record = app.mapper.to_stored_event(event)
            if type(event).__name__ == "PaymentSettled":
                state = app.mapper.transcoder.decode(record.state)
                state.pop("fee_fen"), state.pop("class_version")
                record = StoredEvent(
                    originator_id=record.originator_id,
                    originator_version=record.originator_version,
                    topic=record.topic,
                    state=app.mapper.transcoder.encode(state),
                )
            stored.append(record)
        app.recorder.insert_events(stored)
        loaded = app.repository.get(old.id)
        assert (loaded.fee_fen, loaded.gateway) == (None, "unionpay")
        assert [(m["type"], m["amount_fen"]) for m in loaded.movements_on(DAY, "unionpay")] == [
            ("pay", 5000),
            ("refund", 100),
        ]
    finally:
        app.close()


def test_thousands_of_exceptions_are_split_so_each_event_fits_a_kafka_message():
    """Every event is relayed as one Kafka message (1 MB by default)."""
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        exceptions = [
            {
                "exception_id": f"E{n}",
                "kind": "missing_in_casetrack",
                "transaction_ref": f"UP2026030100000{n:06d}",
                "payment_id": str(uuid4()),
                "detail": "Casetrack has no payment with this transaction ref or payment id.",
                "line": n + 1,
                "department": None,
            }
            for n in range(1, 1202)
        ]
        reconciliation = Reconciliation.record(
            gateway="unionpay",
            day=DAY,
            sequence=1,
            file_sha256="0" * 64,
            lines=1201,
            matched=0,
            exceptions=exceptions,
            totals={"paid_fen": 1, "refunded_fen": 0, "fees_fen": 0, "net_fen": 1},
            supersedes=None,
            actor=GATEWAY,
        )
        app.save(reconciliation)
        stored = app.read_stream(reconciliation.id)
        assert len(stored) == 3 and max(len(e.state) for e in stored) < 300_000
        loaded = app.repository.get(reconciliation.id)
        assert [e["exception_id"] for e in loaded.exceptions] == [f"E{n}" for n in range(1, 1202)]
        document = expected_documents(app)["reconciliations"][str(reconciliation.id)]
        assert (document["status"], document["open_exceptions"]) == ("open", 1201)
        assert document["exceptions"][-1]["transaction_ref"] == exceptions[-1]["transaction_ref"]
    finally:
        app.close()
