"""Retention of case files (docs/design.md, "Retention"): the rule a service item gives its
cases, and the archive disposition and action date a case gets when it closes.

A rule is ``{disposition: permanent|destroy, years, legal_basis}``: ``years`` (1 to 100)
only with ``destroy``; ``legal_basis`` names the archives rule it follows. An item without a
rule (published before rules existed, or by a client that sends none) gets the default:
destroy after 30 years, the longest fixed term of the archives rules (permanent, 30 years,
10 years). Not ``permanent``: that makes a record one kept by law, which an erasure only
restricts (docs/design.md, "Personal data"), and no law was named. A closed case's action date
is its closing day in Asia/Shanghai plus the rule's years (29 February falls back to 28).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.calendar import shanghai_date
from domain.errors import IllegalTransition, InvalidInput, RuleBroken

PERMANENT = "permanent"
DESTROY = "destroy"
DISPOSITIONS = (PERMANENT, DESTROY)
MAX_YEARS = 100
MAX_LEGAL_BASIS = 2000
DEFAULT_YEARS = 30
DEFAULT_RULE: dict[str, Any] = {"disposition": DESTROY, "years": DEFAULT_YEARS, "legal_basis": ""}


def default_rule() -> dict[str, Any]:
    return dict(DEFAULT_RULE)


def no_archive(state: dict[str, Any]) -> None:
    """Upcasts a closing event stored before rules: no archive, so never destroyed."""
    state["archive"] = None


def validate_rule(raw: Any, *, field: str = "retention") -> dict[str, Any]:
    """The rule normalised (plain types); None means the default (destroy after 30 years)."""
    if raw is None:
        return default_rule()
    if not isinstance(raw, dict):
        raise InvalidInput(field, "must be an object {disposition, years, legal_basis}")
    unknown = set(raw) - set(DEFAULT_RULE)
    if unknown:
        raise InvalidInput(f"{field}.{sorted(unknown)[0]}", "is not a field of a retention rule")
    disposition = raw.get("disposition")
    if disposition not in DISPOSITIONS:
        raise InvalidInput(f"{field}.disposition", "must be permanent or destroy")
    years = raw.get("years")
    if disposition == PERMANENT:
        if years is not None:
            raise InvalidInput(f"{field}.years", "applies only to disposition destroy")
    elif not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
        raise InvalidInput(
            f"{field}.years", f"is required with destroy: whole years from 1 to {MAX_YEARS}"
        )
    legal_basis = raw.get("legal_basis") or ""
    if not isinstance(legal_basis, str) or len(legal_basis) > MAX_LEGAL_BASIS:
        raise InvalidInput(f"{field}.legal_basis", f"must be text of at most {MAX_LEGAL_BASIS}")
    return {"disposition": disposition, "years": years, "legal_basis": legal_basis.strip()}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def derive_archive(rule: dict[str, Any] | None, closed_at: datetime) -> dict[str, Any]:
    """What a case closed at ``closed_at`` under ``rule`` (None: the default) records:
    ``{disposition, action_date, years, legal_basis, closed_on}``; ``action_date`` is None
    for a permanent case."""
    rule = rule or DEFAULT_RULE
    closed_on = shanghai_date(closed_at)
    destroy = rule["disposition"] == DESTROY
    return {
        "disposition": rule["disposition"],
        "action_date": add_years(closed_on, rule["years"]) if destroy else None,
        "years": rule["years"] if destroy else None,
        "legal_basis": rule.get("legal_basis") or "",
        "closed_on": closed_on,
    }


def is_due(archive: dict[str, Any] | None, as_of: date) -> bool:
    """Whether a case with this archive is to be destroyed on ``as_of``."""
    return bool(
        archive
        and archive["disposition"] == DESTROY
        and archive["action_date"] is not None
        and archive["action_date"] <= as_of
    )


def forget_person(case: Any) -> None:
    """A destroyed case's state: the tombstone's facts stay, the person and free texts go."""
    case.applicant = None
    case.form, case.materials, case.closing_reason = {}, {}, ""
    if case.decision is not None:
        case.decision = {k: case.decision[k] for k in ("outcome", "decided_at", "on_time")}
    if case.rating is not None:
        case.rating = {"score": case.rating["score"], "comment": ""}
    case.timeline = [{**step, "subject": None} for step in case.timeline]


def tombstone(case: Any, as_of: date) -> dict[str, Any]:
    """What ``CaseDestroyed`` records (no personal data), if the case is due on ``as_of``."""
    if case.status == "destroyed":
        raise IllegalTransition(
            record=case.record_name, action="destroy", status=case.status, why="it is gone"
        )
    if not is_due(case.archive, as_of):
        raise RuleBroken(f"Case {case.case_number} is not due for destruction on {as_of}.")
    return {
        "tombstone": {
            "case_number": case.case_number,
            "item_code": case.item["code"],
            "department": case.department,
            "disposition": case.archive["disposition"],
            "action_date": case.archive["action_date"],
            "legal_basis": case.archive["legal_basis"],
        }
    }
