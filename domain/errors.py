"""Domain errors, in the families the API maps to HTTP once.

- ``Conflict`` (409): the request is well formed but the record's current state does not
  allow it (illegal transition, stale version, duplicate, a rule such as "fee not settled").
- ``InvalidInput`` (422): a field of the request is wrong; ``field`` names it.
- ``NotFound`` (404): no such record (or, at the API, not in the caller's scope).

Messages are written for a clerk: what was attempted, why it was refused, and the current
status or version where that explains the refusal.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details

    default_message = "The request was refused."

    def __str__(self) -> str:
        return self.message


# --- 409 family -------------------------------------------------------------------------


class Conflict(DomainError):
    """The current state of a record does not allow the request (HTTP 409)."""

    default_message = "The request conflicts with the current state of the record."


class IllegalTransition(Conflict):
    """An action that the record's current status does not allow."""

    def __init__(self, *, record: str, action: str, status: str, why: str = "") -> None:
        text = f"Cannot {action} this {record}: its current status is '{status}'"
        text = f"{text} ({why})." if why else f"{text}."
        super().__init__(text, record=record, action=action, status=status)
        self.record = record
        self.action = action
        self.status = status


class RuleBroken(Conflict):
    """A business rule refuses the action in the record's current state."""


class MaterialsMissing(RuleBroken):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            "Cannot accept the case: required materials are missing: " + ", ".join(missing) + ".",
            missing=list(missing),
        )
        self.missing = list(missing)


class FeeNotSettled(RuleBroken):
    def __init__(self, payment_id: str | None) -> None:
        super().__init__(
            "Cannot approve the case: the fee has not been paid yet"
            + (f" (payment {payment_id})." if payment_id else "."),
            payment_id=payment_id,
        )


class StaleVersion(Conflict):
    """The client's ``expected_version`` is not the record's current version."""

    def __init__(self, *, expected: int, current: int, record: str = "record") -> None:
        super().__init__(
            f"The {record} has changed since you loaded it: you expected version "
            f"{expected}, the current version is {current}. Reload and try again.",
            expected=expected,
            current=current,
        )
        self.expected = expected
        self.current = current


class Duplicate(Conflict):
    """Something that must be unique already exists."""

    default_message = "A record with this identifier already exists."


class ConcurrencyConflict(Conflict):
    """Another command changed the same record at the same time; this one lost."""

    default_message = "Someone else changed this record at the same moment. Reload and try again."


class IdempotencyKeyInFlight(Conflict):
    """The same idempotency key is being processed by another request right now."""

    default_message = "A request with this Idempotency-Key is still being processed. Retry shortly."


# --- 422 family -------------------------------------------------------------------------


class InvalidInput(DomainError):
    """A field of the request is invalid (HTTP 422)."""

    default_message = "The request contains an invalid value."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field
        self.reason = message

    @property
    def errors(self) -> list[dict[str, str]]:
        return [{"field": self.field, "message": self.reason}]


class IdempotencyKeyReused(InvalidInput):
    """The same idempotency key was sent earlier with a different body."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            "Idempotency-Key",
            message
            or "this key was already used for a request with a different body; "
            "use a new key for a new request.",
        )


# --- 404 ------------------------------------------------------------------------------


class NotFound(DomainError):
    """No record with this identifier (HTTP 404)."""

    default_message = "No such record."

    def __init__(self, message: str = "", *, record: str = "", identifier: Any = None):
        if not message and record:
            message = f"No {record} with identifier {identifier}."
        super().__init__(message, record=record, identifier=identifier)


class InvalidStatement(InvalidInput):
    """A gateway's statement that cannot be read: one error per bad line and column."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][0], problems[0][1])
        self.problems = list(problems)
        self.message = f"The statement has {len(problems)} error(s); nothing was recorded."

    @property
    def errors(self) -> list[dict[str, str]]:
        return [{"field": field, "message": message} for field, message in self.problems]
