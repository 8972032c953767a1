"""How long the reconciliation command takes for a gateway's day of N payments.

    .venv/bin/python -m loadtests.reconcile_probe --payments 5000

Stores N payments settled by one gateway on one day (a tenth of them partly refunded) in a
temporary SQLite store, writes the gateway's statement (every movement, one forgotten, one
duplicated, one unknown), and times `reconcile_statement` with every payment as a candidate:
reading the CSV, loading each payment from the event store, matching, and the commit. The
read-model query that finds the candidates is not part of it (one paged search).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

from domain.identifiers import make_resident_id
from domain.model.payment import Payment
from domain.model.statement import HEADER
from domain.services import Casetrack

SHANGHAI = timezone(timedelta(hours=8))
DAY = date(2026, 3, 1)
GATEWAY = {"role": "gateway", "subject": "unionpay", "channel": "unionpay"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
PAYER = make_resident_id("510104", date(1990, 5, 1), 123)


def seed(app: Casetrack, payments: int) -> tuple[list, bytes]:
    rows, ids = [",".join(HEADER)], []
    batch = []
    for n in range(payments):
        # Spread over 08:00-24:00 of the day.
        when = datetime(2026, 3, 1, 8, tzinfo=SHANGHAI) + timedelta(seconds=n * 57_600 // payments)
        payment = Payment.request(
            kind="charge",
            amount_fen=1000 + n,
            payer_party_id=PAYER,
            case_id=uuid4(),
            due_date=DAY + timedelta(days=10),
            department="market-regulation",
            region_code="510100",
            actor=CLERK,
            timestamp=when - timedelta(hours=1),
        )
        ref = f"UP{n:012d}"
        payment.settle(
            channel="unionpay",
            transaction_ref=ref,
            amount_fen=1000 + n,
            fee_fen=6,
            actor=GATEWAY,
            timestamp=when,
        )
        if n:  # the first one the gateway forgets
            rows.append(f"{ref},,pay,{1000 + n},6,{when.isoformat()}")
        if n % 10 == 0:
            payment.refund(amount_fen=100, reason="多收", actor=CLERK, timestamp=when)
            rows.append(f"{ref},{payment.id},refund,100,0,{when.isoformat()}")
        ids.append(payment.id)
        batch.append(payment)
        if len(batch) == 500:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    rows += [rows[1], f"UNKNOWN,,pay,999,1,{DAY.isoformat()}T12:00:00+08:00"]
    return ids, ("\n".join(rows) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path("var")) as tmp:
        app = Casetrack({"CASETRACK_EVENT_STORE": f"sqlite:///{tmp}/events.db"})
        try:
            ids, statement = seed(app, args.payments)
            started = time.perf_counter()
            outcome = app.reconcile_statement(
                gateway="unionpay", day=DAY, statement=statement, candidates=ids, actor=GATEWAY
            )
            seconds = time.perf_counter() - started
        finally:
            app.close()
    kinds: dict[str, int] = {}
    for exception in outcome.body["exceptions"]:
        kinds[exception["kind"]] = kinds.get(exception["kind"], 0) + 1
    print(
        f"{args.payments} payments, {outcome.body['lines']} lines: {seconds:.2f} s "
        f"({outcome.body['matched']} matched, exceptions {kinds})"
    )


if __name__ == "__main__":
    main()
