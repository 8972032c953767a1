"""Reconciliations with the payment gateways and the finance office's daily report."""

from __future__ import annotations

from datetime import date as Day
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from api.schemas.common import Department, Text, TransitionIn

Consistent = Field(
    None, ge=0, le=2**62, description="wait (at most 5 s) until this position is applied"
)


class StatementParams(Schema):
    date: Day = Field(description="the day the statement covers (Asia/Shanghai)")


class ResolutionOut(Schema):
    resolution: str
    reason: str
    by: str | None = None
    at: str | None = None


class ExceptionOut(Schema):
    exception_id: str
    kind: Literal["missing_in_casetrack", "missing_in_file", "amount_mismatch", "duplicate"]
    transaction_ref: str | None
    payment_id: str | None
    detail: str
    line: int | None = Field(None, description="the line of the file (the header is line 1)")
    resolution: ResolutionOut | None = None


class TotalsOut(Schema):
    paid_fen: int
    refunded_fen: int
    fees_fen: int
    net_fen: int


class ReconciliationOut(Schema):
    """A command's answer: the reconciliation as recorded."""

    reconciliation_id: str
    date: Day
    gateway: str
    sequence: int
    status: str
    lines: int
    matched: int
    exceptions: list[ExceptionOut]
    totals: TotalsOut
    supersedes: str | None
    version: int
    position: int | None


class ResolveIn(TransitionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"resolution": "gateway_corrected", "reason": "渠道已补发对账单更正"}]
        }
    )

    resolution: Literal[
        "written_off", "settlement_recorded", "refund_requested", "gateway_corrected"
    ]
    reason: Text


class ResolvedOut(Schema):
    reconciliation_id: str
    status: str
    open_exceptions: int
    version: int
    position: int | None


class ListParams(Schema):
    date: Day | None = None
    status: Literal["open", "reconciled", "superseded"] | None = None
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)
    consistent_after: int | None = Consistent


class ReconciliationItemOut(Schema):
    reconciliation_id: str
    date: Day
    gateway: str
    sequence: int
    status: str
    lines: int
    matched: int
    open_exceptions: int
    totals: TotalsOut
    supersedes: str | None
    superseded_by: str | None
    recorded_at: str
    version: int


class ReconciliationPageOut(Schema):
    total: int
    page: int
    size: int
    items: list[ReconciliationItemOut]
    consistent: bool


class ReconciliationViewOut(ReconciliationItemOut):
    file_sha256: str
    exceptions: list[ExceptionOut]
    consistent: bool


class ViewParams(Schema):
    consistent_after: int | None = Consistent


class DailyParams(Schema):
    date: Day
    department: Department | None = None
    consistent_after: int | None = Consistent


class ReceivedOut(Schema):
    fee: int
    fine: int
    charge: int


class DepartmentDayOut(Schema):
    department: str
    received_fen: ReceivedOut
    refunded_fen: int
    gateway_fees_fen: int
    net_fen: int
    gateways: list[str]
    reconciled: bool


class GatewayDayOut(Schema):
    gateway: str
    reconciliation_id: str | None
    status: str | None
    reconciled: bool


class DailyOut(Schema):
    date: Day
    currency: str
    departments: list[DepartmentDayOut]
    gateways: list[GatewayDayOut]
    reconciled: bool
    consistent: bool
