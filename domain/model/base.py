"""What every Casetrack aggregate and event shares.

Conventions (see docs/domain-interface.md):

- Every event carries ``actor`` (``{"role", "subject", "channel"?}``) and ``department``
  (the aggregate's department, copied at creation): the relay builds the Kafka envelope
  from a stored event alone.
- A public command method checks its guards (small ``check_*`` methods raising domain
  errors), computes the payload, and calls a private ``@event("PastTense")`` method whose
  body is only the state change, so replaying old events never re-runs today's rules.
- Every private event method takes ``timestamp``: ``None`` means "now"; the body receives
  the event's actual timestamp, so state derived from time replays exactly.
- Event payloads and aggregate state hold plain types only (str, int, bool, None, list,
  dict with str keys, UUID, date, datetime), which a JSON transcoder round-trips.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import IllegalTransition, InvalidInput
from domain.identifiers import validate_party_id

ACTOR_ROLES = ("citizen", "clerk", "auditor", "analyst", "admin", "gateway", "system")


class DomainEvent(Aggregate.Event):
    """Base class of every Casetrack domain event."""

    actor: dict
    department: str


def check_actor(actor: Any) -> dict:
    """An actor is ``{"role": ..., "subject": ..., "channel"?: ...}`` with string values."""
    if not isinstance(actor, dict):
        raise InvalidInput("actor", "must be an object with role and subject")
    role, subject = actor.get("role"), actor.get("subject")
    if role not in ACTOR_ROLES:
        raise InvalidInput("actor.role", f"must be one of {', '.join(ACTOR_ROLES)}")
    if not isinstance(subject, str) or not subject:
        raise InvalidInput("actor.subject", "must be a non-empty string")
    extra = set(actor) - {"role", "subject", "channel", "party_id"}
    if extra:
        raise InvalidInput("actor", f"unexpected keys: {', '.join(sorted(extra))}")
    if "channel" in actor and not isinstance(actor["channel"], str):
        raise InvalidInput("actor.channel", "must be a string")
    if "party_id" in actor:
        # A citizen's party rides on their actor, so their subject is sealed under their key.
        if role != "citizen":
            raise InvalidInput("actor.party_id", "only a citizen actor names a party")
        validate_party_id(actor["party_id"], field="actor.party_id")
    return dict(actor)


def required_text(value: Any, field: str, *, max_len: int = 2000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "is required")
    if len(value) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    return value.strip()


def optional_text(value: Any, field: str, *, max_len: int = 2000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    if len(value) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    return value.strip()


def validate_party(party: Any, *, field: str = "applicant", name_required: bool = True) -> dict:
    """``{party_id, kind: person|business, name}`` with a valid id for its kind."""
    if not isinstance(party, dict):
        raise InvalidInput(field, "must be an object {party_id, kind, name}")
    kind = party.get("kind")
    if kind not in ("person", "business"):
        raise InvalidInput(f"{field}.kind", "must be person or business")
    party_id = validate_party_id(party.get("party_id"), kind=kind, field=f"{field}.party_id")
    text = required_text if name_required else optional_text
    name = text(party.get("name"), f"{field}.name", max_len=200)
    return {"party_id": party_id, "kind": kind, "name": name}


def utcnow() -> datetime:
    return datetime.now(UTC)


def check_aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
        raise InvalidInput(field, "must be a date and time with a timezone offset")
    return moment


class CasetrackAggregate(Aggregate):
    """Base aggregate: injects ``department`` and checks ``actor`` on every event."""

    # Subclasses set ``self.department`` and ``self.status`` in their created event.
    record_name = "record"  # used in messages for clerks
    final_statuses: tuple[str, ...] = ()

    class Event(DomainEvent):
        pass

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        kwargs["actor"] = check_actor(kwargs.get("actor"))
        check_aware(kwargs.get("timestamp"), "timestamp")
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs["actor"] = check_actor(kwargs.get("actor"))
        kwargs.setdefault("department", self.department)
        check_aware(kwargs.get("timestamp"), "timestamp")
        super().trigger_event(event_class, **kwargs)

    # --- personal data (docs/design.md, "Personal data") ------------------------------

    class PersonalDataErased(Aggregate.Event):
        party_ref: str
        restricted: bool
        actor: dict
        department: str

        def apply(self, aggregate) -> None:
            aggregate.erased_refs = [*getattr(aggregate, "erased_refs", []), self.party_ref]

    def erase_personal_data(
        self, *, party_ref: str, restricted: bool, actor: dict, timestamp: datetime | None = None
    ) -> None:
        kwargs = {"party_ref": party_ref, "restricted": restricted, "actor": actor}
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        self.trigger_event(self.PersonalDataErased, **kwargs)

    # --- guards shared by all aggregates ---------------------------------------------

    @property
    def is_final(self) -> bool:
        return self.status in self.final_statuses

    def check_status(self, action: str, *allowed: str, why: str = "") -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                record=self.record_name, action=action, status=self.status, why=why
            )

    def check_not_final(self, action: str) -> None:
        if self.is_final:
            raise IllegalTransition(
                record=self.record_name,
                action=action,
                status=self.status,
                why="it is closed and cannot change any more",
            )
