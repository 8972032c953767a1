"""A payment gateway's daily statement (对账单) and how it is matched against Casetrack.

The statement is CSV (`csv`, the standard library's reader: quoting and embedded commas done
right) with the header `transaction_ref,payment_id,type,amount_fen,fee_fen,settled_at`, one
line per settlement (`pay`) or refund (`refund`) the gateway made on the day. A refund line
carries the transaction ref of the payment it refunds. Lines are numbered as in the file (the
header is line 1); a file with any bad line is refused whole, naming every bad line and column.

Matching (`match`) takes the payments the lines and the day concern, as loaded from the event
store, and compares them line by line: a line finds its payment by transaction ref (among the
payments this gateway settled), else by payment id; it matches one of that payment's
movements of the day of its type with the same amount (and fee, when Casetrack knows it).
What is left over is an exception: `missing_in_casetrack` (no such payment, not this
gateway's, or nothing of that type on that day), `amount_mismatch` (a movement of that type on
that day, but another amount or fee), `duplicate` (a line equal to an earlier one that found
nothing left to match), and `missing_in_file` (a movement of the day no line matched).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.calendar import shanghai_date
from domain.errors import InvalidStatement
from domain.model.payment import Payment

HEADER = ("transaction_ref", "payment_id", "type", "amount_fen", "fee_fen", "settled_at")
TYPES = ("pay", "refund")
MAX_LINES = 50_000
MAX_ERRORS = 100
MAX_FEN = 10**12

MISSING_IN_CASETRACK = "missing_in_casetrack"
MISSING_IN_FILE = "missing_in_file"
AMOUNT_MISMATCH = "amount_mismatch"
DUPLICATE = "duplicate"
EXCEPTION_KINDS = (MISSING_IN_CASETRACK, MISSING_IN_FILE, AMOUNT_MISMATCH, DUPLICATE)


@dataclass(frozen=True)
class Line:
    number: int
    transaction_ref: str
    payment_id: UUID | None
    type: str
    amount_fen: int
    fee_fen: int
    settled_at: datetime


def digest(data: bytes) -> str:
    """The statement's identity: the same bytes are the same file."""
    return hashlib.sha256(data).hexdigest()


def _fen(text: str, *, zero: bool) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    if value > MAX_FEN or (value == 0 and not zero):
        return None
    return value


def _line(number: int, row: list[str], problems: list[tuple[str, str]]) -> Line | None:
    def bad(column: str, message: str) -> None:
        problems.append((f"line {number}: {column}", message))

    if len(row) != len(HEADER):
        bad("columns", f"has {len(row)} columns, the header has {len(HEADER)}")
        return None
    ref, payment_id, kind, amount, fee, settled_at = (cell.strip() for cell in row)
    before = len(problems)
    if not ref or len(ref) > 200:
        bad("transaction_ref", "is required, at most 200 characters")
    parsed_id: UUID | None = None
    if payment_id:
        try:
            parsed_id = UUID(payment_id)
        except ValueError:
            bad("payment_id", "must be a UUID or empty")
    if kind not in TYPES:
        bad("type", "must be pay or refund")
    amount_fen = _fen(amount, zero=False)
    if amount_fen is None:
        bad("amount_fen", f"must be a whole number of fen from 1 to {MAX_FEN}")
    fee_fen = _fen(fee or "0", zero=True)
    if fee_fen is None:
        bad("fee_fen", f"must be a whole number of fen from 0 to {MAX_FEN}, or empty")
    elif amount_fen is not None and fee_fen > amount_fen:
        bad("fee_fen", "cannot exceed amount_fen")
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(settled_at)
    except ValueError:
        pass
    if moment is None or moment.tzinfo is None:
        bad("settled_at", "must be an ISO-8601 instant with an offset")
    if len(problems) > before:
        return None
    assert amount_fen is not None and fee_fen is not None and moment is not None
    return Line(number, ref, parsed_id, kind, amount_fen, fee_fen, moment)


def parse_statement(data: bytes) -> list[Line]:
    """The statement's lines; `InvalidStatement` naming every bad line (up to 100)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidStatement([("body", "must be UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[tuple[str, str]] = []
    lines: list[Line] = []
    try:
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            raise InvalidStatement([("line 1: header", f"must be {','.join(HEADER)}")])
        start = reader.line_num + 1
        for row in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(lines) >= MAX_LINES:
                problems.append((f"line {number}: lines", f"at most {MAX_LINES} lines a file"))
                break
            line = _line(number, row, problems)
            if line is not None:
                lines.append(line)
            if len(problems) >= MAX_ERRORS:
                break
    except csv.Error as exc:
        problems.append((f"line {reader.line_num}: csv", str(exc)))
    if problems:
        raise InvalidStatement(problems)
    return lines


def totals(lines: Iterable[Line]) -> dict[str, int]:
    """The sums of the file's lines; net is what reaches the treasury's account."""
    paid = refunded = fees = 0
    for line in lines:
        if line.type == "pay":
            paid += line.amount_fen
        else:
            refunded += line.amount_fen
        fees += line.fee_fen
    return {
        "paid_fen": paid,
        "refunded_fen": refunded,
        "fees_fen": fees,
        "net_fen": paid - refunded - fees,
    }


@dataclass
class Matching:
    matched: int
    exceptions: list[dict[str, Any]]


class _Entry:
    """One movement Casetrack recorded on the day, waiting for its line."""

    __slots__ = ("amount_fen", "at", "fee_fen", "payment", "type")

    def __init__(self, payment: Payment, movement: dict) -> None:
        self.payment = payment
        self.type = movement["type"]
        self.amount_fen = movement["amount_fen"]
        self.fee_fen = movement["fee_fen"]
        self.at = movement["at"]

    def fits(self, line: Line) -> bool:
        return self.amount_fen == line.amount_fen and (
            self.fee_fen is None or self.fee_fen == line.fee_fen
        )


def _why_missing(payment: Payment | None, line: Line, day: date, gateway: str) -> str:
    if payment is None:
        return "Casetrack has no payment with this transaction ref or payment id."
    if payment.gateway != gateway:
        return f"Payment {payment.id} was not settled through this gateway."
    settled = shanghai_date(payment.settled_at) if payment.settled_at else None
    return (
        f"Casetrack recorded no {line.type} of payment {payment.id} on {day} "
        f"(settled on {settled})."
    )


def match(
    lines: Sequence[Line], payments: Iterable[Payment], *, day: date, gateway: str
) -> Matching:
    """Compare the statement with what Casetrack recorded (see the module's docstring)."""
    payments = list({p.id: p for p in payments}.values())
    by_id = {p.id: p for p in payments}
    by_ref = {p.transaction_ref: p for p in payments if p.gateway == gateway and p.transaction_ref}
    waiting: dict[tuple[UUID, str], list[_Entry]] = {}
    for payment in payments:
        for movement in payment.movements_on(day, gateway):
            waiting.setdefault((payment.id, movement["type"]), []).append(_Entry(payment, movement))
    exceptions: list[dict[str, Any]] = []

    def exception(kind: str, detail: str, *, line: Line | None, payment: Payment | None, **more):
        exceptions.append(
            {
                "exception_id": f"E{len(exceptions) + 1}",
                "kind": kind,
                "transaction_ref": line.transaction_ref
                if line
                else payment and payment.transaction_ref,
                "payment_id": str(payment.id)
                if payment
                else (str(line.payment_id) if line and line.payment_id else None),
                "detail": detail,
                "line": line.number if line else None,
                "department": payment.department if payment else None,
                **more,
            }
        )

    matched = 0
    seen: set[tuple] = set()
    for line in lines:
        payment = by_ref.get(line.transaction_ref) or (
            by_id.get(line.payment_id) if line.payment_id else None
        )
        entries = waiting.get((payment.id, line.type), []) if payment else []
        fitting = next((e for e in entries if e.fits(line)), None)
        if fitting is not None:
            entries.remove(fitting)
            matched += 1
            seen.add(_same(line))
            continue
        if _same(line) in seen:
            exception(
                DUPLICATE,
                f"Line {line.number} repeats an earlier line.",
                line=line,
                payment=payment,
            )
            continue
        seen.add(_same(line))
        if entries:
            entry = entries.pop(0)
            exception(
                AMOUNT_MISMATCH,
                f"The file says {line.amount_fen} fen (fee {line.fee_fen}); Casetrack recorded "
                f"{entry.amount_fen} fen (fee {_fee(entry.fee_fen)}) for this {line.type}.",
                line=line,
                payment=payment,
            )
            continue
        exception(
            MISSING_IN_CASETRACK,
            _why_missing(payment, line, day, gateway),
            line=line,
            payment=payment,
        )
    for entries in waiting.values():
        for entry in entries:
            exception(
                MISSING_IN_FILE,
                f"Casetrack recorded a {entry.type} of {entry.amount_fen} fen at "
                f"{entry.at.isoformat()} that no line of the file matches.",
                line=None,
                payment=entry.payment,
            )
    return Matching(matched=matched, exceptions=exceptions)


def _same(line: Line) -> tuple:
    return (line.transaction_ref, line.payment_id, line.type, line.amount_fen, line.fee_fen)


def _fee(fee_fen: int | None) -> str:
    return "not recorded" if fee_fen is None else str(fee_fen)
