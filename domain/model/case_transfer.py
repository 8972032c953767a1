"""Transfer of a case between departments (转办): where an open case may go (docs/design.md,
"Transfer of a case").

A case filed with the wrong department is handed to the competent one instead of being
refused and filed again. The receiving department, in the region asked for, must offer the
case's item (the one it was filed under, or after a transfer the one the transfer named),
through one of the items of the catalogue:

- that item itself (a case may go back where it came from);
- the same item in that region: the item whose code is the case item's code with that region
  ("one item, one standard, one code": the type letters and the sequence name the item's
  standard, the region where it is offered), of the same item type and legal basis; or
- an item the catalogue names as the item's successor (``successor_code``, followed from
  successor to successor, at most ``MAX_SUCCESSORS`` steps).

Either must belong to that department, lie in that region and still be published. A
concluded case is not transferred (409), nor a case to the department and region that hold
it already (422). The catalogue is read through ``find`` (an item code -> the item, or None),
so these rules run on the event store alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.errors import IllegalTransition, InvalidInput
from domain.identifiers import validate_region_code
from domain.model.service_item import ServiceItem, validate_department
from domain.reference import DEPARTMENTS

MAX_SUCCESSORS = 8

Find = Callable[[str], ServiceItem | None]


def check_destination(department: Any, region_code: Any) -> None:
    """A known department and a region code's shape (422 otherwise)."""
    validate_department(department)
    if department not in DEPARTMENTS:
        raise InvalidInput("department", f"there is no department {department}")
    validate_region_code(region_code)


def handled_as(case: Any) -> str:
    """The item through which the case's department offers it: the one it was filed under,
    or the one its last transfer named."""
    return getattr(case, "handled_as", None) or case.item["code"]


def check_transferable(case: Any, department: str, region_code: str) -> dict[str, str]:
    """An open case, going somewhere else than where it is; answers where it comes from."""
    if not case.is_open:
        raise IllegalTransition(
            record=case.record_name,
            action="transfer",
            status=case.status,
            why="a concluded case stays with the department that concluded it",
        )
    if (department, region_code) == (case.department, case.region_code):
        raise InvalidInput(
            "department", f"the case is already with {department} in region {region_code}"
        )
    return {"department": case.department, "region_code": case.region_code, "status": case.status}


def _same_item_elsewhere(own: ServiceItem, region_code: str, find: Find) -> ServiceItem | None:
    code = f"{region_code}{own.code[len(region_code) :]}"
    other = find(code) if code != own.code else None
    if other is None:
        return None
    same_standard = all(other.terms[k] == own.terms[k] for k in ("item_type", "legal_basis"))
    return other if same_standard else None


def _successors(own: ServiceItem, find: Find) -> list[ServiceItem]:
    found: list[ServiceItem] = []
    seen = {own.code}
    code = own.successor_code
    while code and code not in seen and len(found) < MAX_SUCCESSORS:
        seen.add(code)
        item = find(code)
        if item is None:
            break
        found.append(item)
        code = item.successor_code
    return found


def receiving_item(item_code: str, department: str, region_code: str, find: Find) -> ServiceItem:
    """The published item through which ``department`` offers the case's item in
    ``region_code``; 422 on ``department`` when there is none."""
    own = find(item_code)
    candidates: list[ServiceItem] = []
    if own is not None:
        same = _same_item_elsewhere(own, region_code, find)
        candidates = [own, *([same] if same else []), *_successors(own, find)]
    for item in candidates:
        if (
            item.department == department
            and item.region_code == region_code
            and item.status != "withdrawn"
        ):
            return item
    raise InvalidInput(
        "department",
        f"{department} does not offer item {item_code} in region {region_code}, "
        "and the catalogue names no successor of it there",
    )
