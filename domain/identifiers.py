"""Identifiers: resident identity numbers, unified social credit codes, region codes,
case and licence numbers, and masking of personal data.

GB 11643-1999 (citizen identity number): 6-digit region, 8-digit birth date, 3-digit
sequence (odd for men), 1 check character over ISO 7064 MOD 11-2 ('X' stands for 10).

GB 32100-2015 (unified social credit code): registration authority, category, 6-digit
region, 9-character organisation code (GB 11714, with its own check character), and one
check character over the 31-character alphabet below (MOD 31).
"""

from __future__ import annotations

import random
import re
from datetime import date

from domain.errors import InvalidInput

# --- GB 11643 -------------------------------------------------------------------------

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"  # index: weighted sum mod 11
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

# First two digits of the provinces, municipalities and autonomous regions (GB/T 2260),
# plus Taiwan, Hong Kong and Macao as used on residence permits.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_problem(value: str, *, today: date | None = None) -> str | None:
    """Why ``value`` is not a valid resident identity number, or None when it is."""
    if not isinstance(value, str) or not _ID_SHAPE.match(value):
        return "must be 18 characters: 17 digits and a check digit (0-9 or X)"
    if value[:2] not in PROVINCE_PREFIXES:
        return "the first two digits are not a province code"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "the birth date in positions 7-14 is not a date"
    if born < date(1900, 1, 1) or born > (today or date.today()):
        return "the birth date in positions 7-14 is not plausible"
    if resident_id_check_char(value[:17]) != value[17]:
        return "the check digit is wrong"
    return None


def is_resident_id(value: str) -> bool:
    return resident_id_problem(value) is None


def make_resident_id(region_code: str, birth: date, sequence: int) -> str:
    """Build a valid number (for demo data): sequence 0..999, odd for men."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + resident_id_check_char(first17)


# --- GB 32100 -------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUW-Y]{2}\d{6}[0-9A-HJ-NPQRTUW-Y]{10}$")
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(first8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None when it is."""
    if not isinstance(value, str) or not _USCC_SHAPE.match(value):
        return (
            "must be 18 characters: digits and capital letters except I, O, S, V, Z, "
            "with a 6-digit region code in positions 3-8"
        )
    if uscc_check_char(value[:17]) != value[17]:
        return "the check character is wrong"
    return None


def is_credit_code(value: str) -> bool:
    return credit_code_problem(value) is None


def make_credit_code(region_code: str, organisation_body: str, *, kind: str = "91") -> str:
    """Build a valid code (for demo data) from an 8-digit organisation code body.

    ``kind`` is the registration authority and category ("91" enterprise registered with
    market regulation, "92" individual business, "12" public institution, ...).
    """
    org = organisation_body + organisation_code_check_char(organisation_body)
    first17 = f"{kind}{region_code}{org}"
    return first17 + uscc_check_char(first17)


# --- parties --------------------------------------------------------------------------

PARTY_KINDS = ("person", "business")


def party_id_problem(party_id: str, kind: str | None = None) -> str | None:
    """Check a party id, optionally for a given kind (person|business)."""
    if kind is not None and kind not in PARTY_KINDS:
        return "kind must be person or business"
    if kind == "person":
        return resident_id_problem(party_id)
    if kind == "business":
        return credit_code_problem(party_id)
    if resident_id_problem(party_id) is None or credit_code_problem(party_id) is None:
        return None
    return "must be an 18-character resident identity number or unified social credit code"


def validate_party_id(party_id: str, *, kind: str | None = None, field: str = "party_id") -> str:
    problem = party_id_problem(party_id, kind)
    if problem:
        raise InvalidInput(field, problem)
    return party_id


def party_kind_of(party_id: str) -> str:
    """'person' for a resident identity number, 'business' for a credit code."""
    return "person" if is_resident_id(party_id) else "business"


# --- region codes ---------------------------------------------------------------------

_REGION = re.compile(r"^\d{6}$")


def is_region_code(code: str) -> bool:
    return isinstance(code, str) and bool(_REGION.match(code)) and code[:2] != "00"


def validate_region_code(code: str, *, field: str = "region_code") -> str:
    if not is_region_code(code):
        raise InvalidInput(field, "must be a 6-digit region code such as 510100")
    return code


def region_level(code: str) -> str:
    """'province' for xx0000, 'city' for xxxx00, 'county' otherwise."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def region_prefix(scope_code: str) -> str:
    """The prefix every code inside ``scope_code`` starts with."""
    return {"province": scope_code[:2], "city": scope_code[:4]}.get(
        region_level(scope_code), scope_code
    )


def covers(scope_code: str, code: str) -> bool:
    """Does a clerk scoped to ``scope_code`` see records of region ``code``?"""
    if not (is_region_code(scope_code) and is_region_code(code)):
        return False
    return code.startswith(region_prefix(scope_code))


# --- case and licence numbers ---------------------------------------------------------

_NUMBER = re.compile(r"^(SC|SCL)-(\d{4})-(\d{6})-(\d{8})$")


def case_number(year: int, region_code: str, sequence: int) -> str:
    """``SC-2026-510100-00001234``: year in Asia/Shanghai, region, counter."""
    return f"SC-{year:04d}-{region_code}-{sequence:08d}"


def licence_number(year: int, region_code: str, sequence: int) -> str:
    """``SCL-2026-510100-00000042``: year of issue, issuing region, counter."""
    return f"SCL-{year:04d}-{region_code}-{sequence:08d}"


def parse_number(number: str) -> tuple[str, int, str, int] | None:
    """(series, year, region_code, sequence) of a case or licence number, or None."""
    match = _NUMBER.match(number or "")
    if not match:
        return None
    series = "case" if match.group(1) == "SC" else "licence"
    return series, int(match.group(2)), match.group(3), int(match.group(4))


# --- masking --------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """``张三`` -> ``张*``, ``张小三`` -> ``张*三``, ``欧阳小明`` -> ``欧**明``."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(value: str, keep: int = 4) -> str:
    """Keep the last ``keep`` characters: ``**************123X``."""
    value = value or ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


# --- demo generation helpers ----------------------------------------------------------


def random_resident_id(rng: random.Random, region_code: str, *, male: bool | None = None) -> str:
    born = date(1950, 1, 1).toordinal() + rng.randrange(365 * 55)
    sequence = rng.randrange(500) * 2 + (
        1 if (male if male is not None else rng.random() < 0.5) else 0
    )
    return make_resident_id(region_code, date.fromordinal(born), sequence)


def random_credit_code(rng: random.Random, region_code: str, *, kind: str = "91") -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return make_credit_code(region_code, body, kind=kind)
