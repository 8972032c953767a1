"""What the command modules share: the answer, the id parsing, loading, and the commit helpers.

Every command (docs/api.md) takes keyword-only arguments; inside the write transaction
(``build``) it loads what it needs from the event store, checks ``expected_version``, calls
the aggregates, and commits all their events at once. It answers a small body (the id field,
``version``, ``position``, ``status``) that is stored with the idempotency key, if one was
given. Who may call what is the API's business; every command records the ``actor`` it is
given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.application import CasetrackApplication, Tx
from domain.calendar import DEFAULT_CALENDAR, WorkingCalendar
from domain.errors import InvalidInput, NotFound, StaleVersion
from domain.model.base import CasetrackAggregate
from domain.store.records import IdempotencyRequest

CREATED = 201
OK = 200

A = TypeVar("A", bound=CasetrackAggregate)
Body = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """What a command answers: HTTP-like status, the body, and whether it was replayed
    from a stored idempotent answer (then nothing was appended)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    @property
    def position(self) -> int | None:
        return self.body.get("position")

    @property
    def version(self) -> int | None:
        return self.body.get("version")


def _id(value: Any, field: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(field, "must be a UUID") from None


@dataclass(frozen=True)
class Target(Generic[A]):
    """One kind of aggregate as the commands address it: its class, how the caller's
    reference (a UUID, an item code, a licence number) becomes its aggregate id, and the
    body a command on it answers."""

    cls: type[A]
    locate: Callable[[Any], UUID]
    body: Callable[[A], dict[str, Any]]


class Commands(CasetrackApplication):
    """The plumbing every command module (a mixin of :class:`domain.services.Casetrack`)
    builds on."""

    calendar: WorkingCalendar = DEFAULT_CALENDAR

    def _load(self, cls: type[A], aggregate_id: UUID) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(record=cls.record_name, identifier=aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(record=cls.record_name, identifier=aggregate_id)
        return aggregate

    @staticmethod
    def _check_version(aggregate: Any, expected_version: int | None) -> None:
        if expected_version is not None and aggregate.version != expected_version:
            raise StaleVersion(
                expected=expected_version, current=aggregate.version, record=aggregate.record_name
            )

    def _run(
        self,
        build: Callable[[Tx], Sequence[Aggregate]],
        body: Body,
        *,
        status: int,
        idempotency: IdempotencyRequest | None,
    ) -> Outcome:
        """Commit what ``build`` returns; the answer is ``body`` of the first aggregate."""

        def answer(aggregates: Sequence[Any], position: int | None) -> tuple[int, dict]:
            return status, {**body(aggregates[0]), "position": position}

        result = self.commit(build, idempotency=idempotency, answer=answer)
        assert result.status is not None and result.body is not None
        return Outcome(status=result.status, body=dict(result.body), replayed=result.replayed)

    def _transition(
        self,
        target: Target[A],
        reference: Any,
        act: Callable[[A, Tx, datetime], Sequence[Aggregate]],
        *,
        expected_version: int | None,
        idempotency: IdempotencyRequest | None,
        body: Body | None = None,
    ) -> Outcome:
        """Load one aggregate, check its version, act on it (and on the others ``act``
        returns, which join the commit), commit; answer ``body`` (the target's by default)."""
        aggregate_id = target.locate(reference)

        def build(tx: Tx) -> Sequence[Aggregate]:
            aggregate = self._load(target.cls, aggregate_id)
            self._check_version(aggregate, expected_version)
            others = act(aggregate, tx, self.clock())
            return [aggregate, *others]

        return self._run(build, body or target.body, status=OK, idempotency=idempotency)

    def _change(
        self,
        target: Target[A],
        reference: Any,
        change: Callable[[A, datetime], object],
        *,
        expected_version: int | None,
        idempotency: IdempotencyRequest | None,
    ) -> Outcome:
        """The simple command: one aggregate, one call at the command's time, nothing else."""

        def act(aggregate: A, tx: Tx, now: datetime) -> Sequence[Aggregate]:
            change(aggregate, now)
            return []

        return self._transition(
            target, reference, act, expected_version=expected_version, idempotency=idempotency
        )
