from __future__ import annotations

import random
from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.identifiers import (
    case_number,
    covers,
    credit_code_problem,
    is_credit_code,
    is_resident_id,
    licence_number,
    make_credit_code,
    make_resident_id,
    mask_id,
    mask_name,
    organisation_code_check_char,
    parse_number,
    party_kind_of,
    random_credit_code,
    random_resident_id,
    region_level,
    resident_id_check_char,
    resident_id_problem,
    uscc_check_char,
    validate_party_id,
)


def test_the_standards_own_example_identity_number_is_valid():
    # GB 11643-1999 appendix: 11010519491231002X (Beijing Chaoyang, born 1949-12-31).
    assert resident_id_check_char("11010519491231002") == "X"
    assert is_resident_id("11010519491231002X")


def test_identity_check_digit_follows_mod_11_2_by_hand():
    first17 = "51010419900501123"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    expected = "10X98765432"[total % 11]
    assert resident_id_check_char(first17) == expected
    assert make_resident_id("510104", date(1990, 5, 1), 123) == first17 + expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002", "18 characters"),
        ("110105194912310021", "check digit"),
        ("11010519491331002X", "birth date"),
        ("99010519491231002X", "province"),
        ("11010518891231002X", "plausible"),
        ("11010519491231002x", "18 characters"),
    ],
)
def test_an_invalid_identity_number_says_what_is_wrong(value, problem):
    assert problem in resident_id_problem(value, today=date(2026, 1, 1))


def test_a_birth_date_in_the_future_is_not_plausible():
    value = make_resident_id("510104", date(2030, 1, 1), 1)
    assert "plausible" in resident_id_problem(value, today=date(2026, 1, 1))


def test_known_unified_social_credit_codes_are_valid():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert is_credit_code("91350100M000100Y43")
    assert is_credit_code("91110108551385082Q")


def test_credit_code_check_character_follows_mod_31_by_hand():
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91510100MA6CABCD0"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights, strict=True))
    assert uscc_check_char(first17) == alphabet[(31 - total % 31) % 31]


def test_the_embedded_organisation_code_has_its_gb_11714_check_character():
    assert organisation_code_check_char("M000100Y") == "4"
    assert organisation_code_check_char("55138508") == "2"
    code = make_credit_code("510100", "MA6CABCD")
    assert code[8:16] == "MA6CABCD" and code[16] == organisation_code_check_char("MA6CABCD")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M00010OY43", "18 characters"),  # letter O is not in the alphabet
        ("913501A0M000100Y43", "region code"),
    ],
)
def test_an_invalid_credit_code_says_what_is_wrong(value, problem):
    assert problem in credit_code_problem(value)


def test_generated_identifiers_are_valid_and_deterministic():
    rng1, rng2 = random.Random(7), random.Random(7)
    ids = [random_resident_id(rng1, "510104") for _ in range(200)]
    assert ids == [random_resident_id(rng2, "510104") for _ in range(200)]
    assert all(is_resident_id(i) for i in ids)
    codes = [random_credit_code(rng1, "510100") for _ in range(200)]
    assert all(is_credit_code(c) for c in codes)


def test_party_ids_are_validated_for_their_kind():
    person = make_resident_id("510104", date(1990, 5, 1), 123)
    business = make_credit_code("510100", "MA6CABCD")
    assert party_kind_of(person) == "person" and party_kind_of(business) == "business"
    assert validate_party_id(person, kind="person") == person
    with pytest.raises(InvalidInput) as err:
        validate_party_id(person, kind="business", field="applicant.party_id")
    assert err.value.field == "applicant.party_id"
    with pytest.raises(InvalidInput):
        validate_party_id("not-an-id")


@pytest.mark.parametrize(
    ("scope", "code", "expected"),
    [
        ("510000", "510104", True),  # a province covers its counties
        ("510000", "500101", False),
        ("510100", "510104", True),  # a city covers its counties
        ("510100", "510100", True),
        ("510100", "510704", False),
        ("510104", "510104", True),  # a county covers itself only
        ("510104", "510105", False),
        ("51010", "510104", False),
        ("510100", "51x104", False),
    ],
)
def test_region_scope_follows_the_province_city_county_prefix_rule(scope, code, expected):
    assert covers(scope, code) is expected


def test_region_level_is_read_from_the_trailing_zeros():
    assert [region_level(c) for c in ("510000", "510100", "510104")] == [
        "province",
        "city",
        "county",
    ]


def test_case_and_licence_numbers_have_a_fixed_shape_and_parse_back():
    assert case_number(2026, "510100", 1234) == "SC-2026-510100-00001234"
    assert licence_number(2026, "510100", 42) == "SCL-2026-510100-00000042"
    assert parse_number("SC-2026-510100-00001234") == ("case", 2026, "510100", 1234)
    assert parse_number("SCL-2026-510100-00000042") == ("licence", 2026, "510100", 42)
    assert parse_number("SC-26-510100-1") is None


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("王", "*"), ("", "")],
)
def test_names_are_masked_keeping_first_and_last_character(name, masked):
    assert mask_name(name) == masked


def test_identity_numbers_are_masked_keeping_the_last_four():
    assert mask_id("11010519491231002X") == "**************002X"
    assert mask_id("123") == "***"
