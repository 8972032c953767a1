"""Commands on reconciliations: a gateway's daily statement checked against the payments in the
event store, and finance resolving its exceptions (domain/model/reconciliation.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.errors import ConcurrencyConflict
from domain.model.payment import Payment
from domain.model.reconciliation import Reconciliation, reconciliation_id
from domain.model.statement import Line, digest, match, parse_statement, totals
from domain.services.base import CREATED, OK, Commands, Outcome, Target, _id
from domain.store.records import IdempotencyRequest


def reconciliation_body(reconciliation: Reconciliation) -> dict[str, Any]:
    return {
        "reconciliation_id": str(reconciliation.id),
        "date": reconciliation.date.isoformat(),
        "gateway": reconciliation.gateway,
        "sequence": reconciliation.sequence,
        "status": reconciliation.status,
        "lines": reconciliation.lines,
        "matched": reconciliation.matched,
        "exceptions": [
            {k: v for k, v in e.items() if k != "department"} for e in reconciliation.exceptions
        ],
        "totals": dict(reconciliation.totals),
        "supersedes": str(reconciliation.supersedes) if reconciliation.supersedes else None,
        "version": reconciliation.version,
    }


def resolved_body(reconciliation: Reconciliation) -> dict[str, Any]:
    return {
        "reconciliation_id": str(reconciliation.id),
        "status": reconciliation.status,
        "open_exceptions": sum(1 for e in reconciliation.exceptions if e["resolution"] is None),
        "version": reconciliation.version,
    }


RECONCILIATION = Target(Reconciliation, lambda rid: _id(rid, "reconciliation_id"), resolved_body)


class ReconciliationCommands(Commands):
    def reconcile_statement(
        self,
        *,
        gateway: str,
        day: date,
        statement: bytes,
        candidates: Iterable[UUID],
        actor: dict,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Check `statement` (the gateway's CSV of `day`) against the payments it concerns.

        `candidates` are the payments the gateway settled or refunded on the day as the read
        model found them; each is loaded here from the event store (as is every payment a
        line names), so the comparison is with the recorded facts, not with a projection.
        The same file again answers the first reconciliation of it (200, nothing appended);
        another file supersedes the day's current reconciliation."""
        lines = parse_statement(statement)  # a malformed file records nothing
        file_sha256 = digest(statement)
        earlier = self._earlier(gateway, day)
        same = next((r for r in earlier if r.file_sha256 == file_sha256), None)
        if same is not None:
            return self._again(same)

        # Read before the write transaction, which need not wait for hundreds of loads: the
        # reconciliation compares the payments as they stood when it began.
        matching = match(lines, self._payments(candidates, lines), day=day, gateway=gateway)

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            current = self._earlier(gateway, day)
            if len(current) != len(earlier):  # another file of the day arrived meanwhile
                raise ConcurrencyConflict()
            new = Reconciliation.record(
                gateway=gateway,
                day=day,
                sequence=len(current) + 1,
                file_sha256=file_sha256,
                lines=len(lines),
                matched=matching.matched,
                exceptions=matching.exceptions,
                totals=totals(lines),
                supersedes=current[-1].id if current else None,
                actor=actor,
                timestamp=now,
            )
            if not current:
                return [new]
            superseded = current[-1]
            superseded.supersede(by=new.id, actor=actor, timestamp=now)
            return [new, superseded]

        return self._run(build, reconciliation_body, status=CREATED, idempotency=idempotency)

    def resolve_reconciliation_exception(
        self,
        *,
        reconciliation_id: UUID | str,
        exception_id: str,
        resolution: str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            RECONCILIATION,
            reconciliation_id,
            lambda reconciliation, now: reconciliation.resolve(
                exception_id=exception_id,
                resolution=resolution,
                reason=reason,
                actor=actor,
                timestamp=now,
            ),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    # --- helpers ----------------------------------------------------------------------

    def _earlier(self, gateway: str, day: date) -> list[Reconciliation]:
        """The day's reconciliations of this gateway, oldest first (ids 1, 2, ... until one
        is missing)."""
        found: list[Reconciliation] = []
        while True:
            reconciliation = self.load_or_none(reconciliation_id(gateway, day, len(found) + 1))
            if not isinstance(reconciliation, Reconciliation):
                return found
            found.append(reconciliation)

    def _again(self, first: Reconciliation) -> Outcome:
        stream = self.read_stream(first.id)
        body = {**reconciliation_body(first), "position": stream[0].position if stream else None}
        return Outcome(status=OK, body=body, replayed=True)

    def _payments(self, candidates: Iterable[UUID], lines: Sequence[Line]) -> list[Payment]:
        named = (line.payment_id for line in lines if line.payment_id)
        ids = dict.fromkeys([*(_id(c, "candidates") for c in candidates), *named])
        return [p for p in self.load_many(ids) if isinstance(p, Payment)]
