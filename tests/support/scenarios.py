"""The realistic day of Casetrack lives in loadtests/scenarios.py (the cluster bench drives it
too, and load tests import no tests); the tests keep importing it from here."""

from loadtests.scenarios import (
    ADMIN,
    BUSINESS,
    BUSINESS_ID,
    CITIZEN,
    CLERK,
    GATEWAY,
    MATERIALS,
    PERSON,
    PERSON_ID,
    Created,
    item_terms,
    run_full_day,
)

__all__ = [
    "ADMIN",
    "BUSINESS",
    "BUSINESS_ID",
    "CITIZEN",
    "CLERK",
    "GATEWAY",
    "MATERIALS",
    "PERSON",
    "PERSON_ID",
    "Created",
    "item_terms",
    "run_full_day",
]
