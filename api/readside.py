"""What the query routers share: the caller's scope, running scoped queries, opening sealed
values, masking, `consistent_after`, the clock, and the states that change with the clock
rather than with events (a case overdue, a licence expired).

Read models hold personal data only sealed, with blind refs beside it (docs/design.md,
"Personal data in the read models"). Every document a query returns is opened here with the
keyring under its own aggregate id (`hits`, `one`, `get_many`) before any view or masking rule
sees it: a value whose key was deleted (erasure, destruction) reads `[erased]`. The refs never
leave the API; `party_ids` stays on documents (it is what the access log records).
"""

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
from domain.identifiers import is_resident_id, mask_id, mask_name, party_id_problem
from domain.privacy import ERASED, is_sealed
from projections.personal import REFS
from search.queries import RUNNING_STATUSES, BadQuery, BlindTerms, Scope, SearchRequest
from search.store import SearchFailed

log = logging.getLogger(__name__)
MASKED_ROLES = frozenset({"auditor", "analyst", "admin"})
NOT_FOUND = "No such record."


def keyring():
    """The process's keyring (opens sealed values, computes blind refs): the application's."""
    return wiring.application().keyring


def scope_of(principal: Principal) -> Scope:
    return Scope(
        role=principal.role,
        sub=principal.sub,
        party_ref=party_ref(principal.party_id),
        department=principal.department,
        region_code=principal.region_code,
    )


def party_ref(party_id: str | None) -> str | None:
    """The blind ref the read models and the access log keep for a party id."""
    return keyring().party_ref(party_id) if party_id else None


def blind_terms(q: str | None) -> BlindTerms | None:
    """The blind refs a search string may match: of the identity number or credit code it is
    (when it is one), and of the full name it may be. Part of a name matches nothing."""
    q = (q or "").strip()
    if not q:
        return None
    ring = keyring()
    candidate = q.upper()
    return BlindTerms(
        party_ref=ring.party_ref(candidate) if party_id_problem(candidate) is None else None,
        name_ref=ring.name_ref(q),
    )


# Blind refs inside documents: for queries only, never shown.
REF_KEYS = frozenset(
    {"party_ref", "name_ref", "payer_party_ref", "payer_name_ref", "name_refs", REFS}
)


def opened(document: Any, aggregate_id: str) -> Any:
    """A copy of a read-model document (or a part of one) with every sealed value opened under
    `aggregate_id` (`[erased]` where the key is gone) and the refs left out."""
    ring = keyring()

    def walk(value: Any) -> Any:
        kind = type(value)  # documents are parsed JSON: exact types, checked the fast way
        if kind is str:
            return ring.open(value, aggregate_id) if is_sealed(value) else value
        if kind is dict:
            return {k: walk(v) for k, v in value.items() if k not in REF_KEYS}
        if kind is list:
            return [walk(v) for v in value]
        return value

    return walk(document)


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


def find(models: Iterable[str], request: SearchRequest) -> tuple[dict, dict]:
    """The (page, facets) answers of `GET /search` in one multi-search (`ReadModels.find`)."""
    target = ",".join(alias(m) for m in models)
    with read_model_errors():
        try:
            return read_models().find(target, request)
        except SearchFailed as exc:
            log.warning("read model search refused: %s", exc)
            raise HttpError(503, "The read models are unavailable; try again shortly.") from None


def get_many(model: str, ids: Iterable[str]) -> dict[str, dict]:
    """Documents by id (realtime), opened."""
    with read_model_errors():
        found = read_models().get_many(alias(model), ids)
    return {i: opened(d, i) for i, d in found.items()}


def hits(response: dict) -> list[dict]:
    """The documents of a search answer, opened (a document's id is its aggregate's)."""
    return [opened(h["_source"], h["_id"]) for h in response["hits"]["hits"]]


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


def masked_name(name: str) -> str:
    """A person's name as `张*三`; `[erased]` stays what it is."""
    return name if name == ERASED else mask_name(name)


def masked_id(value: str) -> str:
    return value if value == ERASED else mask_id(value)


def mask_personal(value: Any) -> Any:
    """A copy with personal data masked: identity numbers keep their last 4 characters,
    the names of natural persons become `张*三`, a citizen actor's subject is masked too.
    Businesses' names are public registry data and stay; `[erased]` stays too. Applied to
    opened values (masking ciphertext would show nothing useful)."""
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: mask_personal(v) for k, v in value.items()}
    for id_key, name_key in (*_PERSON_ID_KEYS.items(), ("party_id", "party_name")):
        party = value.get(id_key)
        if isinstance(party, str):
            out[id_key] = masked_id(party)
            if isinstance(value.get(name_key), str) and (
                is_resident_id(party) or value.get("kind") == "person" or party == ERASED
            ):
                out[name_key] = masked_name(value[name_key])
    if isinstance(value.get("party_ids"), list):
        out["party_ids"] = [masked_id(p) if isinstance(p, str) else p for p in value["party_ids"]]
    if value.get("role") == "citizen":
        for key in ("subject", "party_id"):
            if isinstance(value.get(key), str):
                out[key] = masked_id(value[key])
    return out


def for_caller(principal: Principal | None, document: Any) -> Any:
    if principal is not None and principal.role in MASKED_ROLES:
        return mask_personal(document)
    return document


def forbid(message: str = "Your role may not call this endpoint.") -> HttpError:
    return HttpError(403, message)
