"""Pure projections: event envelope -> read-model document. No I/O, no clients."""
from projections import cases, catalog, licences, payments, violations
from projections.base import Projection, ProjectionError

PROJECTIONS: dict[str, Projection] = {p.name: p for p in (
    cases.PROJECTION, payments.PROJECTION, licences.PROJECTION, catalog.PROJECTION, violations.PROJECTION)}

__all__ = ["PROJECTIONS", "Projection", "ProjectionError"]
