"""A reconciliation: one gateway's statement of one day (Asia/Shanghai) checked against the
settlements and refunds Casetrack recorded (domain/model/statement.py), with its exceptions
and how finance resolved them.

Each statement a gateway sends for a day is a reconciliation of its own, numbered 1, 2, ...
per (gateway, day) and addressed by a name-based id, so the command finds the earlier ones in
the event store alone: the same bytes again answer the first reconciliation of that file; a
new file supersedes the day's current one, and both are kept. A reconciliation is `open`
while an exception is unresolved, `reconciled` when none is, `superseded` (final) once a
later file replaced it.

A statement can have tens of thousands of exceptions, and every event must fit one Kafka
message (1 MB by default): `ReconciliationRecorded` carries the first 500, each
`ReconciliationExceptionsFound` of the same commit 500 more.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.errors import Conflict, InvalidInput, NotFound
from domain.model.base import CasetrackAggregate, required_text

OPEN = "open"
RECONCILED = "reconciled"
SUPERSEDED = "superseded"
STATUSES = (OPEN, RECONCILED, SUPERSEDED)
RESOLUTIONS = ("written_off", "settlement_recorded", "refund_requested", "gateway_corrected")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://casetrack.example/reconciliations")
EXCEPTIONS_PER_EVENT = 500


def reconciliation_id(gateway: str, day: date, sequence: int) -> UUID:
    return uuid5(_NAMESPACE, f"{gateway}\n{day.isoformat()}\n{sequence}")


class Reconciliation(CasetrackAggregate):
    record_name = "reconciliation"
    final_statuses = (SUPERSEDED,)

    @staticmethod
    def create_id(gateway: str, date: date, sequence: int) -> UUID:  # noqa: A002
        return reconciliation_id(gateway, date, sequence)

    @classmethod
    def record(
        cls,
        *,
        gateway: str,
        day: date,
        sequence: int,
        file_sha256: str,
        lines: int,
        matched: int,
        exceptions: list[dict[str, Any]],
        totals: dict[str, int],
        supersedes: UUID | None,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Reconciliation:
        chunks = [
            exceptions[i : i + EXCEPTIONS_PER_EVENT]
            for i in range(0, len(exceptions), EXCEPTIONS_PER_EVENT)
        ] or [[]]
        reconciliation = cls(
            gateway=gateway,
            date=day,
            sequence=sequence,
            file_sha256=file_sha256,
            lines=lines,
            matched=matched,
            exceptions=chunks[0],
            totals=totals,
            supersedes=supersedes,
            department="",  # the province's finance office: every department's money
            actor=actor,
            timestamp=timestamp,
        )
        for chunk in chunks[1:]:
            reconciliation._exceptions_found(exceptions=chunk, actor=actor, timestamp=timestamp)
        return reconciliation

    @event("ReconciliationRecorded")
    def __init__(
        self,
        *,
        gateway: str,
        date: date,  # noqa: A002
        sequence: int,
        file_sha256: str,
        lines: int,
        matched: int,
        exceptions: list[dict[str, Any]],
        totals: dict[str, int],
        supersedes: UUID | None,
        department: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.gateway = gateway
        self.date = date
        self.sequence = sequence
        self.file_sha256 = file_sha256
        self.lines = lines
        self.matched = matched
        self.exceptions = [{**e, "resolution": None} for e in exceptions]
        self.totals = dict(totals)
        self.supersedes = supersedes
        self.superseded_by: UUID | None = None
        self.department = department
        self.recorded_at = timestamp
        self.status = OPEN if self.exceptions else RECONCILED

    @event("ReconciliationExceptionsFound")
    def _exceptions_found(
        self, exceptions: list[dict[str, Any]], actor: dict, timestamp: datetime | None
    ) -> None:
        self.exceptions = [*self.exceptions, *({**e, "resolution": None} for e in exceptions)]
        self.status = OPEN

    # --- commands ---------------------------------------------------------------------

    def supersede(self, *, by: UUID, actor: dict, timestamp: datetime | None = None) -> None:
        self.check_not_final("supersede")
        self._superseded(by=by, actor=actor, timestamp=timestamp)

    @event("ReconciliationSuperseded")
    def _superseded(self, by: UUID, actor: dict, timestamp: datetime | None) -> None:
        self.status = SUPERSEDED
        self.superseded_by = by

    def resolve(
        self,
        *,
        exception_id: str,
        resolution: str,
        reason: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        found = self.exception(exception_id)
        if resolution not in RESOLUTIONS:
            raise InvalidInput("resolution", f"must be one of {', '.join(RESOLUTIONS)}")
        reason = required_text(reason, "reason")
        self.check_not_final("resolve an exception of")
        if found["resolution"] is not None:
            raise Conflict(
                f"Exception {exception_id} was already resolved "
                f"({found['resolution']['resolution']})."
            )
        self._exception_resolved(
            exception_id=exception_id,
            resolution=resolution,
            reason=reason,
            actor=actor,
            timestamp=timestamp,
        )

    @event("ReconciliationExceptionResolved")
    def _exception_resolved(
        self,
        exception_id: str,
        resolution: str,
        reason: str,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.exceptions = [
            {
                **e,
                "resolution": {
                    "resolution": resolution,
                    "reason": reason,
                    "by": actor["subject"],
                    "at": timestamp,
                },
            }
            if e["exception_id"] == exception_id
            else e
            for e in self.exceptions
        ]
        if all(e["resolution"] is not None for e in self.exceptions):
            self.status = RECONCILED

    # --- reading ----------------------------------------------------------------------

    def exception(self, exception_id: str) -> dict[str, Any]:
        for found in self.exceptions:
            if found["exception_id"] == exception_id:
                return found
        raise NotFound(record="exception", identifier=exception_id)
