"""What the query routers share: the caller's scope, running scoped queries, masking,
`consistent_after`, the clock, and the states that change with the clock rather than with
events (a case overdue, a licence expired)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError
from ninja.errors import HttpError

from api import wiring
from api.auth import Principal
from api.consistency import read_models, wait_for_position
from domain.calendar import shanghai_date
from domain.errors import InvalidInput, NotFound
from domain.identifiers import is_resident_id, mask_id, mask_name
from search.queries import RUNNING_STATUSES, BadQuery, Scope

log = logging.getLogger(__name__)
MASKED_ROLES = frozenset({"auditor", "analyst", "admin"})
NOT_FOUND = "No such record."


def scope_of(principal: Principal) -> Scope:
    return Scope(
        role=principal.role,
        sub=principal.sub,
        party_id=principal.party_id,
        department=principal.department,
        region_code=principal.region_code,
    )


def now() -> datetime:
    return wiring.application().clock()


def today() -> date:
    return shanghai_date(now())


def build(builder, *args, **kwargs) -> dict:
    """Run a query builder; its refusals are 422 naming the parameter."""
    try:
        return builder(*args, **kwargs)
    except BadQuery as exc:
        raise InvalidInput(exc.field, exc.message) from None


def alias(model: str) -> str:
    return read_models().names.alias(model)


@contextlib.contextmanager
def read_model_errors() -> Iterator[None]:
    """Elasticsearch unreachable or refusing: 503 with a reason, never a 500."""
    try:
        yield
    except NotFoundError:
        log.error("a read model index is missing", exc_info=True)
        raise HttpError(503, "The read models are not available yet.") from None
    except (TransportError, ApiError) as exc:
        log.warning("read model query failed: %s", exc)
        raise HttpError(503, "The read models are unavailable; try again shortly.") from None


def search(models: Iterable[str], body: dict) -> dict:
    target = ",".join(alias(m) for m in models)
    with read_model_errors():
        return read_models().client.search(index=target, **body)


def get_many(model: str, ids: Iterable[str]) -> dict[str, dict]:
    with read_model_errors():
        return read_models().get_many(alias(model), ids)


def hits(response: dict) -> list[dict]:
    return [h["_source"] for h in response["hits"]["hits"]]


def total(response: dict) -> int:
    return int(response["hits"]["total"]["value"])


def one(model: str, body: dict) -> dict:
    """The only document the scoped query finds; 404 when there is none (never 403)."""
    found = hits(search([model], body))
    if not found:
        raise NotFound(NOT_FOUND)
    return found[0]


def consistent(position: int | None, projections: Iterable[str]) -> bool:
    with read_model_errors():
        return wait_for_position(position, projections)


def not_found() -> NotFound:
    return NotFound(NOT_FOUND)


# ------------------------------------------------------------------ states of the clock


def is_overdue(document: dict, today: date) -> bool:
    """Past the statutory due day while the clock runs (a suspended case's clock is stopped)."""
    due = document.get("statutory_due")
    return (
        document.get("status") in RUNNING_STATUSES and bool(due) and today > date.fromisoformat(due)
    )


def is_past_promised(document: dict, today: date) -> bool:
    due = document.get("promised_due")
    return (
        document.get("status") in RUNNING_STATUSES and bool(due) and today > date.fromisoformat(due)
    )


def licence_state(document: dict, today: date) -> str:
    status = document.get("status")
    if status == "destroyed":
        return "unknown"
    if status == "revoked":
        return "revoked"
    if status == "suspended":
        return "suspended"
    until = document.get("valid_until")
    if until and today > date.fromisoformat(until):
        return "expired"
    return "valid"


# ------------------------------------------------------------------ masking

_PERSON_ID_KEYS = {"party_id": "name", "payer_party_id": "payer_name"}


def mask_personal(value: Any) -> Any:
    """A copy with personal data masked: identity numbers keep their last 4 characters,
    the names of natural persons become `张*三`, a citizen actor's subject is masked too.
    Businesses' names are public registry data and stay."""
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: mask_personal(v) for k, v in value.items()}
    for id_key, name_key in (*_PERSON_ID_KEYS.items(), ("party_id", "party_name")):
        party = value.get(id_key)
        if isinstance(party, str):
            out[id_key] = mask_id(party)
            if isinstance(value.get(name_key), str) and (
                is_resident_id(party) or value.get("kind") == "person"
            ):
                out[name_key] = mask_name(value[name_key])
    if isinstance(value.get("party_ids"), list):
        out["party_ids"] = [mask_id(p) if isinstance(p, str) else p for p in value["party_ids"]]
    if value.get("role") == "citizen" and isinstance(value.get("subject"), str):
        out["subject"] = mask_id(value["subject"])
    return out


def for_caller(principal: Principal | None, document: Any) -> Any:
    if principal is not None and principal.role in MASKED_ROLES:
        return mask_personal(document)
    return document


def forbid(message: str = "Your role may not call this endpoint.") -> HttpError:
    return HttpError(403, message)
