"""The catalogue: "one item, one standard, one code".

A service item's aggregate id is uuid5 of its code, so a command finds it in the event
store without any read model. A revision replaces the item's terms and increments its
revision number; open cases keep the terms they were submitted under (they copy them).
An item may name its successor (``successor_code``), the item that takes its cases over: a
case may be transferred to the successor's department (``domain/model/case_transfer.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.errors import InvalidInput
from domain.identifiers import region_level, validate_region_code
from domain.model.base import CasetrackAggregate
from domain.model.retention import default_rule, validate_rule

ITEM_NAMESPACE = UUID("6f1c2a3e-51a0-4c1e-9d3b-cae7a5e70001")
ITEM_CODE = re.compile(r"^\d{6}-[A-Z]{2}-[0-9A-Z]{4,8}$")
ITEM_TYPES = (
    "administrative_licence",
    "administrative_confirmation",
    "administrative_payment",
    "administrative_penalty",
    "public_service",
    "other",
)
LEVELS = ("province", "city", "county")
DEPARTMENT = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MATERIAL_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_DAYS = 365


def item_id(code: str) -> UUID:
    """The aggregate id of the service item with this code."""
    return uuid5(ITEM_NAMESPACE, code)


def validate_item_code(code: Any, *, field: str = "code") -> str:
    if not isinstance(code, str) or not ITEM_CODE.match(code):
        raise InvalidInput(field, "must look like 510000-XK-0001 (region-TYPE-sequence)")
    return code


def validate_department(department: Any, *, field: str = "department") -> str:
    if not isinstance(department, str) or not DEPARTMENT.match(department):
        raise InvalidInput(field, "must be a slug such as market-regulation")
    return department


def _text(terms: dict, name: str, *, required: bool = True, max_len: int = 4000) -> str:
    value = terms.get(name, "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(name, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(name, "is required")
    if len(value) > max_len:
        raise InvalidInput(name, f"must be at most {max_len} characters")
    return value


def _int(terms: dict, name: str, *, low: int, high: int | None = None, optional: bool = False):
    value = terms.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(name, "must be a whole number")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidInput(name, f"must be {bounds}")
    return value


def _materials(raw: Any) -> list[dict]:
    if not isinstance(raw, list):
        raise InvalidInput("materials", "must be a list of {code, name, required}")
    seen: set[str] = set()
    materials = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict):
            raise InvalidInput(f"materials[{i}]", "must be an object {code, name, required}")
        code = m.get("code")
        if not isinstance(code, str) or not MATERIAL_CODE.match(code):
            raise InvalidInput(
                f"materials[{i}].code", "must be a short code (letters, digits, _ . -)"
            )
        if code in seen:
            raise InvalidInput(f"materials[{i}].code", f"'{code}' appears twice")
        seen.add(code)
        name = m.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"materials[{i}].name", "is required")
        required = m.get("required", True)
        if not isinstance(required, bool):
            raise InvalidInput(f"materials[{i}].required", "must be true or false")
        materials.append({"code": code, "name": name.strip(), "required": required})
    return materials


def validate_item_terms(terms: dict[str, Any], *, code: str) -> dict[str, Any]:
    """Check the catalogue fields (docs/api.md) and return them normalised (plain types)."""
    known = {
        "name",
        "item_type",
        "department",
        "level",
        "region_code",
        "conditions",
        "materials",
        "steps",
        "statutory_days",
        "promised_days",
        "fee_fen",
        "legal_basis",
        "licence_type",
        "licence_valid_days",
        "retention",
        "successor_code",
    }
    unknown = set(terms) - known
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a field of a service item")
    item_type = terms.get("item_type")
    if item_type not in ITEM_TYPES:
        raise InvalidInput("item_type", f"must be one of {', '.join(ITEM_TYPES)}")
    level = terms.get("level")
    if level not in LEVELS:
        raise InvalidInput("level", "must be province, city or county")
    region_code = validate_region_code(terms.get("region_code"))
    if region_level(region_code) != level:
        raise InvalidInput("region_code", f"{region_code} is not a {level} code")
    if not code.startswith(region_code + "-"):
        raise InvalidInput("code", f"must start with the item's region code {region_code}")
    steps = terms.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
        raise InvalidInput("steps", "must be a list of non-empty texts")
    statutory = _int(terms, "statutory_days", low=1, high=MAX_DAYS)
    promised = _int(terms, "promised_days", low=0, high=MAX_DAYS)
    if promised > statutory:
        raise InvalidInput("promised_days", "must not exceed statutory_days")
    licence_type = terms.get("licence_type")
    if licence_type is not None and (not isinstance(licence_type, str) or not licence_type.strip()):
        raise InvalidInput("licence_type", "must be a name or null")
    valid_days = _int(terms, "licence_valid_days", low=1, high=36600, optional=True)
    if valid_days is not None and licence_type is None:
        raise InvalidInput("licence_valid_days", "needs a licence_type")
    successor = terms.get("successor_code")
    if successor is not None:
        validate_item_code(successor, field="successor_code")
        if successor == code:
            raise InvalidInput("successor_code", "an item cannot be its own successor")
    return {
        "name": _text(terms, "name", max_len=200),
        "item_type": item_type,
        "department": validate_department(terms.get("department")),
        "level": level,
        "region_code": region_code,
        "conditions": _text(terms, "conditions", required=False),
        "materials": _materials(terms.get("materials", [])),
        "steps": [s.strip() for s in steps],
        "statutory_days": statutory,
        "promised_days": promised,
        "fee_fen": _int(terms, "fee_fen", low=0),
        "legal_basis": _text(terms, "legal_basis", required=False),
        "licence_type": licence_type.strip() if licence_type else None,
        "licence_valid_days": valid_days,
        "retention": validate_rule(terms.get("retention")),
        "successor_code": successor,
    }


def _upcast_terms_v1_v2(state: dict[str, Any]) -> None:
    """v2 terms carry ``retention``; an item stored before gets the default rule."""
    state["terms"]["retention"] = default_rule()


class ServiceItem(CasetrackAggregate):
    record_name = "service item"
    final_statuses = ("withdrawn",)
    # Commands read items with `Tx.reference`: kept decoded by version between commands
    # (nothing personal in them; `domain/references.py`).
    kept_as_reference = True

    class ItemPublished(CasetrackAggregate.Created):
        """v2: the terms carry ``retention`` (docs/design.md, "Retention")."""

        class_version = 2
        code: str
        terms: dict
        upcast_v1_v2 = staticmethod(_upcast_terms_v1_v2)

    class ItemRevised(CasetrackAggregate.Event):
        """v2: the terms carry ``retention``."""

        class_version = 2
        terms: dict
        revision: int
        upcast_v1_v2 = staticmethod(_upcast_terms_v1_v2)

    @staticmethod
    def create_id(code: str) -> UUID:
        return item_id(code)

    @classmethod
    def publish(
        cls, *, code: str, actor: dict, timestamp: datetime | None = None, **terms: Any
    ) -> ServiceItem:
        code = validate_item_code(code)
        clean = validate_item_terms(terms, code=code)
        return cls(
            code=code,
            department=clean["department"],
            terms=clean,
            actor=actor,
            timestamp=timestamp,
        )

    @event(ItemPublished)
    def __init__(
        self, *, code: str, department: str, terms: dict, actor: dict, timestamp: datetime | None
    ) -> None:
        self.code = code
        self.department = department
        self.terms = terms
        self.revision = 1
        self.status = "published"
        self.withdrawn_reason = ""

    def revise(self, *, actor: dict, timestamp: datetime | None = None, **terms: Any) -> None:
        self.check_not_final("revise")
        clean = validate_item_terms(terms, code=self.code)
        if clean["department"] != self.department:
            raise InvalidInput(
                "department",
                "cannot change; withdraw this item and publish a new one for the other department",
            )
        self._revised(terms=clean, revision=self.revision + 1, actor=actor, timestamp=timestamp)

    @event(ItemRevised)
    def _revised(self, terms: dict, revision: int, actor: dict, timestamp: datetime | None) -> None:
        self.terms = terms
        self.revision = revision

    def withdraw(self, *, actor: dict, reason: str = "", timestamp: datetime | None = None) -> None:
        self.check_not_final("withdraw")
        self._withdrawn(reason=reason or "", actor=actor, timestamp=timestamp)

    @event("ItemWithdrawn")
    def _withdrawn(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = "withdrawn"
        self.withdrawn_reason = reason

    # --- reading ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.terms["name"]

    @property
    def region_code(self) -> str:
        return self.terms["region_code"]

    @property
    def fee_fen(self) -> int:
        return self.terms["fee_fen"]

    @property
    def licence_type(self) -> str | None:
        return self.terms["licence_type"]

    @property
    def successor_code(self) -> str | None:
        """The item that takes over this one's cases (items published before the field: None)."""
        return self.terms.get("successor_code")

    @property
    def required_materials(self) -> list[str]:
        return [m["code"] for m in self.terms["materials"] if m["required"]]

    def check_takes_cases(self) -> None:
        if self.status == "withdrawn":
            raise InvalidInput("item_code", f"the service item {self.code} has been withdrawn")

    def case_terms(self) -> dict[str, Any]:
        """What a case keeps of this item, as it is now (plain types only)."""
        t = self.terms
        return {
            "item_id": str(self.id),
            "code": self.code,
            "version": self.version,
            "revision": self.revision,
            "name": t["name"],
            "item_type": t["item_type"],
            "region_code": t["region_code"],
            "materials": [dict(m) for m in t["materials"]],
            "statutory_days": t["statutory_days"],
            "promised_days": t["promised_days"],
            "fee_fen": t["fee_fen"],
            "licence_type": t["licence_type"],
            "licence_valid_days": t["licence_valid_days"],
            "retention": dict(t.get("retention") or default_rule()),
        }
