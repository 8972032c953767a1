"""Recording reads in the access log: every read of a personal record by staff, every
search, every licence verification (docs/api.md; docs/design.md: access logs are not case events).

Entries go to the event store's database (`domain.store.access_log`), not to Kafka, so nothing is
lost while Kafka is down. Recording happens before the answer is sent: if it fails, the
read fails too (a read that cannot be accounted for is not served).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.http import HttpRequest
from ninja.errors import HttpError

from api import wiring
from api.auth import Principal
from domain.privacy.refs import PREFIX as REF_PREFIX
from domain.store.access_log import append_access

log = logging.getLogger(__name__)

STAFF = frozenset({"clerk", "auditor", "analyst", "admin", "gateway"})
ANONYMOUS = Principal(sub="anonymous", role="public")


def party_ids_of(documents: Iterable[dict]) -> list[str]:
    """Every party a set of read-model documents concerns (unmasked: read before masking)."""
    found: set[str] = set()
    for document in documents:
        found.update(p for p in document.get("party_ids") or () if p)
    return sorted(found)


def logged_sub(principal: Principal) -> str:
    """A reader's `sub` as the log keeps it. A citizen's is opaque to Casetrack but may be a
    personal identifier at the identity provider, so it is kept as its blind ref; staff
    handles stay as they are (docs/design.md, "Personal data")."""
    if principal.role == "citizen":
        return wiring.application().keyring.blind.sub_ref(principal.sub)
    return principal.sub


def logged_party(party_id: str) -> str:
    """A party as the log keeps it: its blind ref (documents already hold refs)."""
    if party_id.startswith(REF_PREFIX):
        return party_id
    return wiring.application().keyring.party_ref(party_id)


def record(
    request: HttpRequest,
    principal: Principal | None,
    *,
    record_ids: Sequence[str],
    party_ids: Sequence[str] = (),
    query: str = "",
) -> int:
    """Append one entry for this request; return its position."""
    who = principal or ANONYMOUS
    endpoint = f"{request.method} {request.path}"
    try:
        return append_access(
            wiring.application().store,
            role=who.role,
            sub=logged_sub(who),
            endpoint=endpoint,
            record_ids=list(record_ids),
            party_ids=[logged_party(p) for p in party_ids if p],
            department=who.department,
            region_code=who.region_code,
            query=query,
        )
    except Exception:
        log.exception(
            "could not record an access log entry", extra={"endpoint": endpoint, "sub": who.sub}
        )
        raise HttpError(
            503, "The access log is unavailable, so this read cannot be served now."
        ) from None


def record_staff_read(
    request: HttpRequest,
    principal: Principal,
    *,
    record_ids: Sequence[str],
    party_ids: Sequence[str],
) -> None:
    """A read of personal records: logged when the reader is staff (a citizen reading their own is not)."""
    if principal.role in STAFF and record_ids:
        record(request, principal, record_ids=record_ids, party_ids=party_ids)
