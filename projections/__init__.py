"""Pure projections: event envelope -> read-model document. No I/O, no clients."""

from projections import (
    access,
    cases,
    catalog,
    licences,
    payments,
    reconciliations,
    violations,
)
from projections.base import Projection, ProjectionError

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        cases.PROJECTION,
        payments.PROJECTION,
        licences.PROJECTION,
        catalog.PROJECTION,
        violations.PROJECTION,
        reconciliations.PROJECTION,
        access.PROJECTION,
    )
}

# The read models of the event log (positions are event-store positions; `consistent_after`
# waits on these). The access log has positions of its own.
EVENT_PROJECTIONS: dict[str, Projection] = {
    n: p for n, p in PROJECTIONS.items() if p.source == "events"
}

__all__ = ["EVENT_PROJECTIONS", "PROJECTIONS", "Projection", "ProjectionError"]
