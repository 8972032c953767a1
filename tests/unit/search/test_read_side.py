"""The read side's pure helpers: waiting on watermarks, masking personal data, percentiles."""

from __future__ import annotations

from datetime import date

from api import readside
from api.consistency import wait_for_position
from api.readside import mask_personal
from api.routers.analytics import weighted_percentile
from api.routers.me import credit_record
from domain.identifiers import make_credit_code, make_resident_id
from domain.privacy import ERASED

PERSON = make_resident_id("510104", date(1990, 5, 1), 123)
BUSINESS = make_credit_code("510100", "MA6CABCD")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_waiting_ends_as_soon_as_every_projection_read_has_reached_the_position():
    clock = FakeClock()
    marks = {"cases": 5, "payments": 9}

    def watermark(projection: str, partitions: int) -> int:
        if clock.now >= 1.0:
            marks["cases"] = 10
        return marks[projection]

    assert (
        wait_for_position(
            9,
            ["cases", "payments"],
            watermark=watermark,
            head=lambda position: True,
            partitions=4,
            clock=clock,
            sleep=clock.sleep,
            interval_s=0.25,
        )
        is True
    )
    assert 1.0 <= clock.now < 1.5


def test_waiting_gives_up_after_the_bound_and_says_so():
    clock = FakeClock()
    assert (
        wait_for_position(
            10,
            ["cases"],
            watermark=lambda p, n: 9,
            head=lambda position: True,
            partitions=4,
            clock=clock,
            sleep=clock.sleep,
            timeout_s=5.0,
            interval_s=0.05,
        )
        is False
    )
    assert 5.0 <= clock.now < 5.1


def test_without_a_position_nothing_is_waited_for():
    def never(projection: str, partitions: int) -> int:
        raise AssertionError("no checkpoint should be read")

    assert wait_for_position(None, ["cases"], watermark=never, partitions=4) is True


def test_masking_hides_person_names_and_identity_numbers_but_keeps_business_names():
    doc = {
        "applicant": {"party_id": PERSON, "kind": "person", "name": "张小三"},
        "holder": {"party_id": BUSINESS, "kind": "business", "name": "蜀味餐饮有限公司"},
        "payer_party_id": PERSON,
        "payer_name": "欧阳小明",
        "party_ids": [PERSON, BUSINESS],
        "actor": {"role": "citizen", "subject": PERSON},
        "title": "食品经营许可",
    }
    masked = mask_personal(doc)
    assert masked["applicant"] == {
        "party_id": "*" * 14 + PERSON[-4:],
        "kind": "person",
        "name": "张*三",
    }
    assert masked["holder"]["name"] == "蜀味餐饮有限公司" and masked["holder"]["party_id"].endswith(
        BUSINESS[-4:]
    )
    assert masked["payer_name"] == "欧**明" and masked["payer_party_id"] == "*" * 14 + PERSON[-4:]
    assert masked["party_ids"] == ["*" * 14 + PERSON[-4:], "*" * 14 + BUSINESS[-4:]]
    assert (
        masked["actor"]["subject"] == "*" * 14 + PERSON[-4:] and masked["title"] == "食品经营许可"
    )
    assert doc["applicant"]["name"] == "张小三"  # the input is not changed


class StandInKeyring:
    """Opens the two sealed strings below; the key of the second is gone (erased)."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values
        self.opened: list[tuple[str, str]] = []

    def open(self, value: str, aggregate_id: str):
        self.opened.append((value, aggregate_id))
        return self.values.get(value, ERASED)


KEY = "0123456789abcdef0123456789abcdef"
SEALED_NAME = f"ct1:{KEY}:bmFtZQ"
SEALED_GONE = f"ct1:{'f' * 32}:Z29uZQ"


def test_documents_are_opened_under_their_own_aggregate_id_and_lose_their_refs(monkeypatch):
    ring = StandInKeyring({SEALED_NAME: "张小三"})
    monkeypatch.setattr(readside, "keyring", lambda: ring)
    document = {
        "applicant": {
            "party_id": SEALED_GONE,
            "kind": "person",
            "name": SEALED_NAME,
            "party_ref": "br1:" + "1" * 32,
            "name_ref": "br1:" + "2" * 32,
        },
        "party_ids": ["br1:" + "1" * 32],
        "name_refs": ["br1:" + "2" * 32],
        "title": "食品经营许可",
    }
    opened = readside.opened(document, "case-1")
    assert opened == {
        "applicant": {"party_id": ERASED, "kind": "person", "name": "张小三"},
        "party_ids": ["br1:" + "1" * 32],  # kept for the access log, never shown in a view
        "title": "食品经营许可",
    }
    assert {aggregate for _, aggregate in ring.opened} == {"case-1"}
    assert document["applicant"]["name"] == SEALED_NAME  # the input is not changed


def test_masking_leaves_erased_values_as_they_are():
    masked = mask_personal(
        {
            "applicant": {"party_id": ERASED, "kind": "person", "name": ERASED},
            "payer_party_id": ERASED,
            "payer_name": ERASED,
            "actor": {"role": "citizen", "subject": ERASED, "party_id": ERASED},
        }
    )
    assert masked["applicant"] == {"party_id": ERASED, "kind": "person", "name": ERASED}
    assert (masked["payer_party_id"], masked["payer_name"]) == (ERASED, ERASED)
    assert masked["actor"] == {"role": "citizen", "subject": ERASED, "party_id": ERASED}
    assert readside.masked_name(ERASED) == ERASED == "[erased]"


def test_percentiles_are_nearest_rank_over_weighted_values():
    assert weighted_percentile({1: 1, 2: 1, 3: 1, 10: 1}, 0.5) == 2.0
    assert weighted_percentile({3: 9, 30: 1}, 0.9) == 3.0
    assert weighted_percentile({3: 8, 30: 2}, 0.9) == 30.0
    assert weighted_percentile({}, 0.5) is None


def test_the_credit_record_counts_unpaid_fines_past_due_revoked_licences_and_late_payments():
    today = date(2026, 3, 2)
    payments = [
        {
            "payment_id": "f1",
            "kind": "fine",
            "status": "requested",
            "due_date": "2026-03-01",
            "amount_fen": 20000,
        },
        {
            "payment_id": "f2",
            "kind": "fine",
            "status": "requested",
            "due_date": "2026-03-02",
            "amount_fen": 100,
        },
        {
            "payment_id": "p1",
            "kind": "fee",
            "status": "settled",
            "due_date": "2026-02-10",
            "settled_at": "2026-02-10T23:30:00+08:00",
            "amount_fen": 5000,
        },
        {
            "payment_id": "p2",
            "kind": "fee",
            "status": "settled",
            "due_date": "2026-02-10",
            "settled_at": "2026-02-10T16:30:00+00:00",
            "amount_fen": 5000,
        },
    ]
    licences = [
        {"licence_number": "SCL-1", "status": "revoked"},
        {"licence_number": "SCL-2", "status": "active"},
    ]
    record = credit_record(payments, licences, today)
    assert (
        record["unpaid_overdue_fines"]["count"] == 1
        and record["unpaid_overdue_fines"]["amount_fen"] == 20000
    )
    assert [lic["licence_number"] for lic in record["revoked_licences"]["items"]] == ["SCL-1"]
    # 16:30 UTC is 00:30 the next day in Shanghai: late.
    assert record["payment_record"] == {"settled": 2, "on_time": 1, "late": 1, "on_time_rate": 0.5}
    assert record["good_standing"] is False


def test_a_search_string_becomes_the_refs_of_the_id_it_is_and_the_name_it_may_be(monkeypatch):
    from domain.privacy.refs import BlindIndex

    blind = BlindIndex("a test key")
    monkeypatch.setattr(readside, "keyring", lambda: blind)
    by_id = readside.blind_terms(f" {PERSON.lower()} ")
    assert by_id.party_ref == blind.party_ref(PERSON)
    by_name = readside.blind_terms("张 小三")
    assert (by_name.party_ref, by_name.name_ref) == (None, blind.name_ref("张小三"))
    assert readside.blind_terms("ZHANG san").name_ref == blind.name_ref("Zhang San")
    assert readside.blind_terms(BUSINESS).party_ref == blind.party_ref(BUSINESS)
    assert readside.blind_terms("   ") is None
