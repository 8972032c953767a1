"""Documents hold personal values only as they arrive, sealed, with the blind refs beside them.

Projections hold no keys: these envelopes carry sealed strings of the stored format and refs as
the write side computes them (docs/design.md, "Personal data in the read models"), and the
documents must carry exactly those, and no plaintext.
"""

from __future__ import annotations

import orjson

from projections import PROJECTIONS

CASE_ID = "5f0c1f1e-3a0b-4a8e-9d7e-0c2b1a9f0001"
KEY = "0123456789abcdef0123456789abcdef"
PERSON_ID = "510104199005011231"
NAME = "张小三"
SEALED_ID = f"ct1:{KEY}:AAAAAAAAAAAAAAAAidentity"
SEALED_NAME = f"ct1:{KEY}:AAAAAAAAAAAAAAAAname"
SEALED_TEXT = f"ct1:{KEY}:AAAAAAAAAAAAAAAAcomment"
PARTY_REF = "br1:" + "1" * 32
NAME_REF = "br1:" + "2" * 32
ACTOR = {"role": "citizen", "subject": SEALED_ID, "party_id": SEALED_ID}
PERSON = {"party_id": SEALED_ID, "kind": "person", "name": SEALED_NAME}


def envelope(event_type: str, aggregate_type: str, data: dict, version: int = 1) -> dict:
    return {
        "position": version,
        "aggregate_id": CASE_ID,
        "aggregate_type": aggregate_type,
        "aggregate_version": version,
        "event_type": event_type,
        "occurred_at": "2026-11-30T02:00:00+00:00",
        "actor": ACTOR,
        "department": "market-regulation",
        "data": data,
    }


def _plaintext_free(document: dict) -> None:
    raw = orjson.dumps(document).decode()
    assert PERSON_ID not in raw and NAME not in raw and '"_refs_"' not in raw


ITEM = {
    "code": "510100-XK-0001",
    "name": "食品经营许可",
    "item_type": "administrative_licence",
    "revision": 1,
    "fee_fen": 0,
    "licence_type": None,
    "statutory_days": 20,
    "promised_days": 5,
    "materials": [{"code": "LICENCE", "required": True}],
}


def submitted(refs: dict | None) -> dict:
    data = {
        "case_number": "SC-2026-510100-00000001",
        "item": ITEM,
        "region_code": "510104",
        "applicant": PERSON,
        "channel": "web",
        "materials": [{"code": "LICENCE", "document_ref": SEALED_TEXT}],
        "form": SEALED_TEXT,
    }
    if refs is not None:
        data["_refs_"] = refs
    return envelope("CaseSubmitted", "Case", data)


def test_a_case_keeps_the_applicant_sealed_and_is_scoped_and_found_by_refs():
    cases = PROJECTIONS["cases"]
    document = cases.apply(
        None, submitted({"applicant": PARTY_REF, "applicant.name": NAME_REF, "actor": PARTY_REF})
    )
    assert document["applicant"] == {
        **PERSON,
        "party_ref": PARTY_REF,
        "name_ref": NAME_REF,
    }
    assert (document["party_ids"], document["name_refs"]) == ([PARTY_REF], [NAME_REF])
    rated = cases.apply(
        document,
        envelope("CaseRated", "Case", {"score": 5, "comment": SEALED_TEXT}, version=2),
    )
    assert rated["rating"] == {"score": 5, "comment": SEALED_TEXT}
    _plaintext_free(rated)


def test_an_event_stored_before_sealing_scopes_to_nobody():
    document = PROJECTIONS["cases"].apply(None, submitted(None))
    assert (document["party_ids"], document["name_refs"]) == ([], [])


def test_payments_violations_and_licences_keep_their_party_sealed_with_its_refs():
    payment = PROJECTIONS["payments"].apply(
        None,
        envelope(
            "PaymentRequested",
            "Payment",
            {
                "kind": "fine",
                "amount_fen": 100,
                "currency": "CNY",
                "payer_party_id": SEALED_ID,
                "payer_name": SEALED_NAME,
                "due_date": "2026-12-31",
                "region_code": "510104",
                "_refs_": {"payer": PARTY_REF, "payer.name": NAME_REF},
            },
        ),
    )
    assert (payment["payer_party_id"], payment["payer_name"]) == (SEALED_ID, SEALED_NAME)
    assert (payment["payer_party_ref"], payment["payer_name_ref"]) == (PARTY_REF, NAME_REF)
    assert (payment["party_ids"], payment["name_refs"]) == ([PARTY_REF], [NAME_REF])
    violation = PROJECTIONS["violations"].apply(
        None,
        envelope(
            "ViolationRecorded",
            "Violation",
            {
                "party": PERSON,
                "description": "占道经营",
                "location": "春熙路",
                "region_code": "510104",
                "occurred_at": "2026-11-01T01:00:00+00:00",
                "fine_fen": 100,
                "legal_basis": "城市管理条例",
                "_refs_": {"party": PARTY_REF, "party.name": NAME_REF},
            },
        ),
    )
    assert violation["party"]["party_ref"] == PARTY_REF and violation["party_ids"] == [PARTY_REF]
    licence = PROJECTIONS["licences"].apply(
        None,
        envelope(
            "LicenceIssued",
            "Licence",
            {
                "number": "SCL-2026-510100-00000001",
                "item_name": "食品经营许可",
                "item_code": "510100-XK-0001",
                "licence_type": "食品经营许可证",
                "holder": PERSON,
                "case_id": CASE_ID,
                "valid_from": "2026-11-30",
                "region_code": "510104",
                "_refs_": {"holder": PARTY_REF, "holder.name": NAME_REF},
            },
        ),
    )
    assert licence["holder"]["name"] == SEALED_NAME and licence["name_refs"] == [NAME_REF]
    for document in (payment, violation, licence):
        _plaintext_free(document)


def test_the_access_log_keeps_refs_and_masks_anything_else_in_its_party_list():
    entry = {
        "position": 7,
        "at": "2026-11-30T02:00:00+00:00",
        "role": "clerk",
        "sub": "clerk-7",
        "endpoint": "GET /api/v1/cases/x",
        "record_ids": [CASE_ID],
        "party_ids": [PARTY_REF, PERSON_ID],
        "query": "",
    }
    document = PROJECTIONS["access"].apply(
        None,
        {
            **envelope("AccessRecorded", "AccessEntry", entry),
            "aggregate_id": "access-7",
        },
    )
    assert document["party_ids"] == [PARTY_REF, "*" * 14 + PERSON_ID[-4:]]


def test_an_erasure_writes_erased_over_the_partys_sealed_values_and_drops_their_refs():
    cases = PROJECTIONS["cases"]
    document = cases.apply(
        None, submitted({"applicant": PARTY_REF, "applicant.name": NAME_REF, "actor": PARTY_REF})
    )
    document = cases.apply(
        document, envelope("CaseRated", "Case", {"score": 4, "comment": SEALED_TEXT}, version=2)
    )
    other = cases.apply(
        document,
        envelope(
            "PersonalDataErased", "Case", {"party_ref": "br1:" + "9" * 32, "restricted": False}, 3
        ),
    )
    assert other["party_ids"] == [PARTY_REF]  # someone else's erasure changes nothing here
    erased = cases.apply(
        other,
        envelope("PersonalDataErased", "Case", {"party_ref": PARTY_REF, "restricted": False}, 4),
    )
    assert erased["applicant"] == {"party_id": "[erased]", "kind": "person", "name": "[erased]"}
    assert erased["rating"] == {"score": 4, "comment": "[erased]"}
    assert (erased["party_ids"], erased["name_refs"]) == ([], [])
    assert "ct1:" not in orjson.dumps(erased).decode()
    assert erased["timeline"][-1]["step"] == "PersonalDataErased"


def test_an_erased_payer_holder_or_party_no_longer_scopes_the_record():
    payment = PROJECTIONS["payments"].apply(
        None,
        envelope(
            "PaymentRequested",
            "Payment",
            {
                "kind": "fee",
                "amount_fen": 100,
                "currency": "CNY",
                "payer_party_id": "91510100MA6CABCD6N",  # a business's code stays plain
                "payer_name": SEALED_NAME,
                "due_date": "2026-12-31",
                "region_code": "510104",
                "_refs_": {"payer": PARTY_REF, "payer.name": NAME_REF},
            },
        ),
    )
    erased = PROJECTIONS["payments"].apply(
        payment,
        envelope("PersonalDataErased", "Payment", {"party_ref": PARTY_REF, "restricted": True}, 2),
    )
    assert (erased["payer_party_id"], erased["payer_name"]) == ("91510100MA6CABCD6N", "[erased]")
    assert "payer_party_ref" not in erased and erased["party_ids"] == []
