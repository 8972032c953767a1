"""Audit (auditor): reads the event store itself, the source of truth, never the read models.

Stream histories with their hashes, any aggregate replayed to a version or an instant, the
global feed in position order, verification of the hash chain and the signed checkpoints,
and the access log. Sealed personal values in event payloads are opened with the keyring
(`[erased]` where the key is gone) and then masked, like states; every read of a stream is
itself recorded in the access log, with the blind refs of the parties it concerns.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import AwareDatetime, Field

from api import access, readside, wiring
from api.auth import require
from api.schemas.common import PROBLEMS
from consumers.envelope import build_envelope
from domain.errors import InvalidInput, NotFound
from domain.store.access_log import find_access
from projections.personal import party_refs, refs_of

router = Router(tags=["audit"])

MAX_FEED = 1000
AUDITORS = ("auditor",)


class AuditEventOut(Schema):
    position: int
    aggregate_id: str
    aggregate_type: str
    version: int
    event_type: str
    schema_version: int | None = None
    occurred_at: str | None = None
    actor: dict[str, Any]
    department: str | None = None
    data: dict[str, Any] | None = None
    prev_hash: str | None = None
    hash: str


class EventsOut(Schema):
    total: int
    items: list[AuditEventOut]


class FeedOut(EventsOut):
    next_after: int
    max_position: int


class StateOut(Schema):
    aggregate_id: str
    aggregate_type: str
    version: int
    position: int
    occurred_at: str | None = None
    state: dict[str, Any]


class VerifyOut(Schema):
    checked: int
    ok: bool
    broken: list[dict[str, Any]]
    checkpoint: dict[str, Any] | None = None


class StateIn(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    at: AwareDatetime | None = Field(
        None, description="an instant with its offset: the state as it was then"
    )


class FeedIn(Schema):
    after: int = Field(0, ge=0, le=2**62)
    limit: int = Field(100, ge=1, le=MAX_FEED)


class VerifyIn(Schema):
    aggregate_id: str | None = Field(None, max_length=64)


class AccessLogIn(Schema):
    party_id: str | None = Field(None, max_length=18)
    sub: str | None = Field(None, max_length=200)
    from_: AwareDatetime | None = Field(None, alias="from")
    to: AwareDatetime | None = None
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)


class AccessEntryOut(Schema):
    position: int
    at: str
    role: str
    sub: str
    department: str | None = None
    region_code: str | None = None
    endpoint: str
    record_ids: list[str]
    party_ids: list[str]
    query: str


class AccessLogOut(Schema):
    total: int
    page: int
    size: int
    items: list[AccessEntryOut]


def _aggregate_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(readside.NOT_FOUND) from None


def plain(value: Any) -> Any:
    """JSON-ready copy of an aggregate's attributes."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _envelope(logged) -> dict:
    return build_envelope(
        wiring.application().sealed_mapper,
        position=logged.position,
        originator_id=logged.originator_id,
        originator_version=logged.originator_version,
        topic=logged.topic,
        state=logged.state,
        prev_hash=logged.prev_hash,
        hash_=logged.hash,
    )


SECRETS = ("verification_code",)


def hide_secrets(value: Any) -> Any:
    """A copy with licences' verification codes starred out: an auditor sees that a licence has
    one, never the code (only its holder and the issuing department do: docs/api.md)."""
    if isinstance(value, list):
        return [hide_secrets(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        k: ("*" * len(v) if k in SECRETS and isinstance(v, str) else hide_secrets(v))
        for k, v in value.items()
    }


def _event_out(envelope: dict) -> dict:
    return hide_secrets(_masked_event(envelope))


def _masked_event(envelope: dict) -> dict:
    aggregate_id = envelope["aggregate_id"]
    return readside.mask_personal(
        {
            "position": envelope["position"],
            "aggregate_id": aggregate_id,
            "aggregate_type": envelope["aggregate_type"],
            "version": envelope["aggregate_version"],
            "event_type": envelope["event_type"],
            "schema_version": envelope["schema_version"],
            "occurred_at": envelope["occurred_at"],
            "actor": readside.opened(plain(envelope["actor"]), aggregate_id),
            "department": envelope["department"],
            "data": readside.opened(plain(envelope["data"]), aggregate_id),
            "prev_hash": envelope["prev_hash"],
            "hash": envelope["hash"],
        }
    )


def parties_in(envelopes: list[dict]) -> list[str]:
    """The blind refs of every party the events concern, the actor's included (for the access
    log, which keeps refs, never party ids)."""
    return sorted({ref for e in envelopes for ref in party_refs(refs_of(e["data"] or {}))})


def _stream(aggregate_id: uuid.UUID) -> list[dict]:
    stream = wiring.application().read_stream(aggregate_id)
    if not stream:
        raise NotFound(readside.NOT_FOUND)
    return [_envelope(e) for e in stream]


@router.get(
    "/streams/{aggregate_id}/events",
    response={200: EventsOut, **PROBLEMS},
    summary="Every stored event of one aggregate, with its hashes",
    operation_id="api_routers_audit_stream_events",
)
def stream_events(request: HttpRequest, aggregate_id: str):
    principal = require(request, *AUDITORS)
    envelopes = _stream(_aggregate_id(aggregate_id))
    access.record(
        request,
        principal,
        record_ids=[aggregate_id],
        party_ids=parties_in(envelopes),
    )
    return {"total": len(envelopes), "items": [_event_out(e) for e in envelopes]}


@router.get(
    "/streams/{aggregate_id}/state",
    response={200: StateOut, **PROBLEMS},
    summary="The aggregate replayed to a version or an instant",
    description="Without `version` or `at`: the current state. With `at`: the state after the last event "
    "that occurred at or before it (404 before the first).",
    operation_id="api_routers_audit_stream_state",
)
def stream_state(request: HttpRequest, aggregate_id: str, params: Query[StateIn]):
    principal = require(request, *AUDITORS)
    if params.version is not None and params.at is not None:
        raise InvalidInput("version", "give version or at, not both")
    identifier = _aggregate_id(aggregate_id)
    envelopes = _stream(identifier)
    chosen = envelopes
    if params.version is not None:
        chosen = [e for e in envelopes if e["aggregate_version"] <= params.version]
    elif params.at is not None:
        chosen = [e for e in envelopes if datetime.fromisoformat(e["occurred_at"]) <= params.at]
    if not chosen or (
        params.version is not None and params.version > envelopes[-1]["aggregate_version"]
    ):
        raise NotFound("The aggregate has no such version (or did not exist yet at that instant).")
    last = chosen[-1]
    aggregate = wiring.application().repository.get(identifier, version=last["aggregate_version"])
    state = {k.lstrip("_"): plain(v) for k, v in vars(aggregate).items() if k != "_pending_events"}
    access.record(
        request,
        principal,
        record_ids=[aggregate_id],
        party_ids=parties_in(chosen),
    )
    return {
        "aggregate_id": str(identifier),
        "aggregate_type": last["aggregate_type"],
        "version": last["aggregate_version"],
        "position": last["position"],
        "occurred_at": last["occurred_at"],
        "state": hide_secrets(readside.mask_personal(state)),
    }


@router.get(
    "/events",
    response={200: FeedOut, **PROBLEMS},
    summary="The global feed of events in position order",
    description="`next_after` is the position to pass as `after` for the next page; `total` counts the "
    "events after `after`.",
    operation_id="api_routers_audit_feed",
)
def feed(request: HttpRequest, params: Query[FeedIn]):
    principal = require(request, *AUDITORS)
    app = wiring.application()
    logged = app.read_log(params.after, params.limit)
    envelopes = [_envelope(e) for e in logged]
    with app.store.read_cursor() as cursor:
        max_position = app.store.max_position_in(cursor)
        remaining = app.store.count_events(cursor, max_position) - app.store.count_events(
            cursor, params.after
        )
    if envelopes:
        access.record(
            request,
            principal,
            record_ids=[e["aggregate_id"] for e in envelopes],
            party_ids=parties_in(envelopes),
        )
    return {
        "total": remaining,
        "items": [_event_out(e) for e in envelopes],
        "next_after": logged[-1].position if logged else params.after,
        "max_position": max_position,
    }


@router.get(
    "/verify",
    response={200: VerifyOut, **PROBLEMS},
    summary="Verify the hash chain (and the checkpoints)",
    description="Without `aggregate_id`: every stream and the latest signed checkpoint, so a deleted stream "
    "or a cut-off tail is reported, with the id prefixes of the buckets where the heads differ.",
    operation_id="api_routers_audit_verify",
)
def verify(request: HttpRequest, params: Query[VerifyIn]):
    require(request, *AUDITORS)
    app = wiring.application()
    if params.aggregate_id:
        identifier = _aggregate_id(params.aggregate_id)
        if not app.read_stream(identifier):
            raise NotFound(readside.NOT_FOUND)
        return app.verify(identifier).as_dict()
    return app.verify().as_dict()


@router.get(
    "/access-log",
    response={200: AccessLogOut, **PROBLEMS},
    summary="Who read or found which records",
    description="Read from the access log table in the event store's database. Party ids, queries and "
    "citizens' subs are masked in the answer; filter with the full party id (matched through its "
    "blind ref) or sub.",
    operation_id="api_routers_audit_access_log",
)
def access_log(request: HttpRequest, params: Query[AccessLogIn]):
    require(request, *AUDITORS)

    def utc(moment: datetime | None) -> str | None:
        return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None

    total, entries = find_access(
        wiring.application().store,
        party_id=access.logged_party(params.party_id) if params.party_id else None,
        # A citizen's sub is kept as its blind ref: match either form.
        sub=[params.sub, wiring.application().keyring.blind.sub_ref(params.sub)]
        if params.sub
        else None,
        at_from=utc(params.from_),
        at_to=utc(params.to),
        offset=(params.page - 1) * params.size,
        limit=params.size,
    )
    # Entries leave the table masked: parties and queries to the last 4 characters of an
    # identifier and names as 张*三, a citizen's sub like an id (docs/api.md, "Access log").
    items = [entry.as_dict() for entry in entries]
    return {"total": total, "page": params.page, "size": params.size, "items": items}
