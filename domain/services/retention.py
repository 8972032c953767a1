"""The retention run (docs/design.md, "Retention"): destroy every closed case whose action
date under a ``destroy`` rule is due, with its payments and licence.

Due cases come from the archive schedule the closing commands fill in the event store's
database (never from a read model), a page at a time. Each case is destroyed in a write
transaction of its own: ``CaseDestroyed`` on the case, and ``PaymentDestroyed`` /
``LicenceDestroyed`` on the aggregates that carry its applicant's data, all at once. After each
page the store destroys the data keys of all its destroyed records in one call, and only then
are those cases taken off the schedule: a run that stops in between leaves them scheduled, and
the next run destroys the keys without appending a second tombstone. Running again destroys
nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.calendar import shanghai_date
from domain.errors import ConcurrencyConflict, InvalidInput, NotFound, RuleBroken
from domain.model.case import DESTROYED, Case
from domain.model.licence import ACTIVE, SUSPENDED, Licence
from domain.model.payment import REQUESTED, Payment
from domain.services.base import OK, Commands, Outcome
from domain.store.records import IdempotencyRequest

SYSTEM_ACTOR = {"role": "system", "subject": "retention"}
DESTROYED_NOW, DESTROYED_BEFORE, SKIPPED = "destroyed", "destroyed before", "skipped"


def hold_reason(case: Case, related: Sequence[Aggregate], as_of: date) -> str | None:
    """Why a due case must wait: its licence still in force, or a payment still owed."""
    for aggregate in related:
        if isinstance(aggregate, Licence) and aggregate.status in (ACTIVE, SUSPENDED):
            if aggregate.valid_until is None or aggregate.valid_until >= as_of:
                return f"its licence {aggregate.number} is still in force"
        if isinstance(aggregate, Payment) and aggregate.status == REQUESTED:
            return f"its payment {aggregate.id} is still owed"
    return None


class RetentionCommands(Commands):
    def run_retention(
        self,
        *,
        as_of: date | None = None,
        actor: dict | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Destroy what is due on ``as_of`` (default: today in Asia/Shanghai, never later).
        Answers ``{as_of, destroyed: [case ids], count, held: [{case_id, reason}], position}``;
        with an idempotency key, a repeat answers the first run's answer (replayed)."""
        token = uuid4().hex
        if idempotency is not None:
            now = self.clock()
            stored = self.store.reserve_idempotency(
                idempotency,
                token=token,
                now=now,
                stale_before=now - self.settings.in_flight_timeout,
            )
            if stored is not None:
                return Outcome(status=OK, body=dict(stored.body or {}), replayed=True)
        try:
            body = self._run_retention(as_of, actor or SYSTEM_ACTOR)
        except BaseException:
            self._release(idempotency, token)
            raise
        if idempotency is not None:
            with self.store.write_cursor() as cursor:
                self.store.complete_idempotency(
                    cursor,
                    idempotency,
                    token=token,
                    status=OK,
                    body=body,
                    position=body["position"],
                    now=self.clock(),
                )
        return Outcome(status=OK, body=body)

    def _run_retention(self, as_of: date | None, actor: dict) -> dict[str, Any]:
        today = shanghai_date(self.clock())
        as_of = today if as_of is None else as_of
        if not isinstance(as_of, date):
            raise InvalidInput("as_of", "must be a day, YYYY-MM-DD")
        if as_of > today:
            raise InvalidInput("as_of", f"must not be after today ({today}, Asia/Shanghai)")
        destroyed: list[str] = []
        held: list[dict[str, str]] = []
        position: int | None = None
        shredded = False
        after: tuple[UUID, date] | None = None
        while page := self.store.due_destructions(as_of, after=after):
            gone: list[UUID] = []  # destroyed cases, now or by a run that stopped
            keys: list[UUID] = []  # their records, whose keys go
            for case_id, _ in page:
                result, records, at = self._destroy_case(case_id, as_of, actor)
                if result == SKIPPED:
                    continue
                if result == DESTROYED_NOW:
                    destroyed.append(str(case_id))
                    position = max(position or 0, at or 0)
                elif result != DESTROYED_BEFORE:
                    held.append({"case_id": str(case_id), "reason": result})
                    continue
                gone.append(case_id)
                keys += records
            if keys:
                self.store.destroy_keys(keys)
                shredded = True
            self.store.unschedule_destruction(gone)
            after = page[-1]
        if shredded:  # as after an erasure
            self.keyring.forget_cached()
            self.store.scrub_after_erasure()  # type: ignore[attr-defined]
        return {
            "as_of": as_of.isoformat(),
            "destroyed": destroyed,
            "count": len(destroyed),
            "held": held,
            "position": position,
        }

    def _related(self, case: Case) -> list[Any]:
        """The payments and the licence of the case: they carry its applicant's data."""
        ids = [UUID(p["payment_id"]) for p in case.payments]
        if case.licence_id is not None:
            ids.append(case.licence_id)
        return [self.repository.get(i) for i in ids]

    def _destroy_case(
        self, case_id: UUID, as_of: date, actor: dict
    ) -> tuple[str, list[UUID], int | None]:
        """``(result, the records whose keys go, position)``; ``result`` is a reason to hold."""
        outcome: dict[str, Any] = {}

        def build(tx: Tx) -> Sequence[Aggregate]:
            case = self._load(Case, case_id)
            related = self._related(case)
            outcome["keys"] = [case.id, *(a.id for a in related)]
            if case.status == DESTROYED:  # by an earlier run that stopped before the keys
                outcome["result"] = DESTROYED_BEFORE
                return []
            reason = hold_reason(case, related, as_of)
            if reason is not None:
                outcome.update(result=reason, keys=[])
                return []
            now = self.clock()
            case.destroy(as_of=as_of, actor=actor, timestamp=now)
            for aggregate in related:
                aggregate.destroy(case_number=case.case_number, actor=actor, timestamp=now)
            outcome["result"] = DESTROYED_NOW
            return [case, *related]

        try:
            committed = self.commit(build)
        except NotFound:  # scheduled, but no such case: nothing to destroy
            return DESTROYED_BEFORE, [], None
        except ConcurrencyConflict:  # another run is destroying it: that run finishes it
            return SKIPPED, [], None
        except RuleBroken as e:  # its events say it is not due (yet)
            return str(e), [], None
        return outcome["result"], outcome["keys"], committed.position
