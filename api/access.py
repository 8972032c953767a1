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
from domain.store.access_log import append_access

log = logging.getLogger(__name__)

STAFF = frozenset({"clerk", "auditor", "analyst", "admin", "gateway", "finance"})
ANONYMOUS = Principal(sub="anonymous", role="public")


def party_ids_of(documents: Iterable[dict]) -> list[str]:
    """Every party a set of read-model documents concerns (unmasked: read before masking)."""
    found: set[str] = set()
    for document in documents:
        found.update(p for p in document.get("party_ids") or () if p)
    return sorted(found)


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
            sub=who.sub,
            endpoint=endpoint,
            record_ids=list(record_ids),
            party_ids=list(party_ids),
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
