"""What the access log keeps of a query and of a reader's `sub` (docs/api.md, "Access log"):
identity numbers to their last 4 characters, names as 张*三, never the plaintext."""

from __future__ import annotations

from datetime import date

import pytest

from domain.identifiers import make_credit_code, make_resident_id
from domain.store.access_log import mask_query, mask_sub

PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 123)
CREDIT_CODE = make_credit_code("510100", "MA6CABCD")


def test_an_identity_number_keeps_only_its_last_four_characters():
    assert mask_query(PERSON_ID) == "*" * 14 + PERSON_ID[-4:]
    assert mask_query(PERSON_ID.lower()) == "*" * 14 + PERSON_ID[-4:].lower()


def test_a_credit_code_and_an_old_fifteen_digit_number_are_masked_too():
    assert mask_query(CREDIT_CODE) == "*" * 14 + CREDIT_CODE[-4:]
    assert mask_query("510104900501123") == "*" * 11 + "1123"


@pytest.mark.parametrize(
    "text",
    [
        f"张小三{PERSON_ID}",
        f"查询 {PERSON_ID} 的办件",
        f"id:{PERSON_ID},",
        f"{PERSON_ID}{PERSON_ID}"[:36],
    ],
)
def test_an_identity_number_inside_longer_text_leaves_no_more_than_its_last_four(text):
    masked = mask_query(text)
    assert PERSON_ID[:14] not in masked
    assert PERSON_ID[4:18] not in masked


def test_full_width_digits_are_folded_and_masked():
    wide = "".join(chr(ord(c) + 0xFEE0) for c in PERSON_ID)
    assert mask_query(wide) == "*" * 14 + PERSON_ID[-4:]


def test_a_mobile_number_keeps_its_last_four_digits():
    assert mask_query("电话13812345678") == "电*" + "*" * 7 + "5678"


def test_names_keep_their_first_and_last_character_and_so_does_every_chinese_run():
    assert mask_query("张小三") == "张*三"
    assert mask_query("李四") == "李*"
    assert mask_query("查张小三") == "查**三"
    assert mask_query("欧阳小明 营业执照") == "欧**明 营**照"
    assert mask_query("食品经营许可") == "食****可"


def test_identifiers_of_records_and_latin_words_stay_readable():
    for text in (
        "SC-2026-510100-00001234",
        "SCL-2026-510100-00000042",
        "510100-XK-0001",
        "3f2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        "Foreign Trade",
    ):
        assert mask_query(text) == text


def test_masking_twice_changes_nothing():
    for text in (f"张小三 {PERSON_ID}", "李四", "食品经营许可 13812345678", CREDIT_CODE):
        once = mask_query(text)
        assert mask_query(once) == once


def test_a_citizens_sub_is_masked_like_an_id_whatever_it_looks_like():
    assert mask_sub("citizen", PERSON_ID) == "*" * 14 + PERSON_ID[-4:]
    assert mask_sub("citizen", "rep-000123") == "******0123"


def test_a_staff_sub_is_shown_whole_unless_it_is_itself_personal_data():
    assert mask_sub("clerk", "clerk-7") == "clerk-7"
    assert mask_sub("auditor", "auditor-1") == "auditor-1"
    assert mask_sub("public", "anonymous") == "anonymous"
    assert mask_sub("clerk", PERSON_ID) == "*" * 14 + PERSON_ID[-4:]
    assert mask_sub("clerk", "张小三") == "张*三"
