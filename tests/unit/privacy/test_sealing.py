"""Personal data is sealed in the store, opens for the aggregates, and is gone after erasure
(docs/design.md, "Personal data"). In-process, on a throw-away SQLite store."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from uuid import UUID

import pytest

from domain.errors import NotFound
from domain.privacy import ERASED, is_sealed
from domain.services import Casetrack
from tests.support.scenarios import ADMIN, BUSINESS, PERSON, PERSON_ID, run_full_day

SECRETS = [PERSON["name"].encode(), PERSON_ID.encode(), "办事快".encode()]


def _app(**env: str) -> Casetrack:
    return Casetrack(
        env={"CASETRACK_EVENT_STORE": "memory://", "CASETRACK_SNAPSHOT_INTERVAL": "3", **env}
    )


def _files(app: Casetrack) -> list[Path]:
    return [p for p in Path(app._tempdir).iterdir() if p.is_file()]


def _bytes(app: Casetrack) -> bytes:
    return b"".join(p.read_bytes() for p in _files(app))


@pytest.fixture
def day():
    app = _app()
    made = run_full_day(app)
    yield app, made
    app.close()


def test_no_name_or_identity_number_is_stored_in_plain_bytes(day):
    app, _ = day
    stored = _bytes(app)
    assert stored  # the store has files to search
    for secret in SECRETS:
        assert secret not in stored, secret.decode()


def test_aggregates_load_with_their_personal_data(day):
    app, made = day
    case = app.repository.get(UUID(made.cases[0]))
    assert case.applicant == PERSON
    assert case.rating["comment"] == "办事快"
    assert all(not is_sealed(v) for v in case.materials.values())


def test_events_carry_blind_refs_and_sealed_values(day):
    app, made = day
    first = app.read_stream(UUID(made.cases[0]))[0]
    raw = first.state.decode()
    assert '"_refs_"' in raw and "ct1:" in raw
    assert app.keyring.party_ref(PERSON_ID) in raw
    # A business's credit code stays plain: it is not a natural person's identity number.
    business_case = app.read_stream(UUID(made.cases[1]))[0].state.decode()
    assert BUSINESS["party_id"] in business_case
    assert BUSINESS["name"] not in business_case


def test_the_chain_verifies_before_and_after_an_erasure(day):
    app, _ = day
    assert app.verify().ok
    app.erase_party(party_id=PERSON_ID, legal_basis="PIPL art. 47", reason="request", actor=ADMIN)
    assert app.verify().ok


def test_an_erasure_shreds_the_person_and_nobody_else(day):
    app, made = day
    stored_keys = {
        k.key_id: k.wrapped for k in app.store.subject_keys(app.keyring.party_ref(PERSON_ID))
    }
    assert stored_keys
    outcome = app.erase_party(
        party_id=PERSON_ID, legal_basis="PIPL art. 47", reason="request", actor=ADMIN
    )
    assert outcome.status == 201 and outcome["keys_deleted"] == len(stored_keys)
    case = app.repository.get(UUID(made.cases[0]))
    assert case.applicant["name"] == ERASED and case.applicant["party_id"] == ERASED
    assert case.rating["comment"] == ERASED
    assert set(case.materials.values()) == {ERASED}
    business = app.repository.get(UUID(made.cases[1]))
    assert business.applicant == BUSINESS
    stored = _bytes(app)
    for wrapped in stored_keys.values():
        assert wrapped not in stored  # secure_delete and the WAL checkpoint left nothing
    again = app.erase_party(party_id=PERSON_ID, legal_basis="x", reason="again", actor=ADMIN)
    assert again.status == 200 and again["erasure_id"] == outcome["erasure_id"]


def test_erasing_a_party_never_seen_is_not_found(day):
    app, _ = day
    from datetime import date

    from domain.identifiers import make_resident_id

    with pytest.raises(NotFound):
        app.erase_party(
            party_id=make_resident_id("110101", date(1980, 1, 1), 7),
            legal_basis="PIPL art. 47",
            reason="request",
            actor=ADMIN,
        )


def test_sm4_seals_and_opens():
    app = _app(CASETRACK_CIPHER="sm4-gcm")
    try:
        made = run_full_day(app)
        assert app.repository.get(UUID(made.cases[0])).applicant == PERSON
        assert all(k.cipher == "sm4-gcm" for k in app.store.all_data_keys())
        assert PERSON["name"].encode() not in _bytes(app)
    finally:
        app.close()


def test_the_master_key_rotates_without_losing_a_value(tmp_path):
    store = f"sqlite:///{tmp_path}/events.db"
    new = "k2:" + base64.b64encode(os.urandom(32)).decode()
    old_app = Casetrack(env={"CASETRACK_EVENT_STORE": store})
    made = run_full_day(old_app)
    old_keys = old_app.settings.master_keys
    old_app.close()
    both = Casetrack(
        env={"CASETRACK_EVENT_STORE": store, "CASETRACK_MASTER_KEYS": f"{new},{old_keys}"}
    )
    assert both.keyring.rewrap_all() > 0
    both.close()
    only_new = Casetrack(env={"CASETRACK_EVENT_STORE": store, "CASETRACK_MASTER_KEYS": new})
    try:
        assert only_new.repository.get(UUID(made.cases[0])).applicant == PERSON
    finally:
        only_new.close()


def test_an_envelope_carries_the_sealed_form_whichever_mapper_builds_it(day):
    from consumers.envelope import build_envelope, dumps

    app, _ = day
    for logged in app.read_log(0, 10_000):
        for mapper in (app.mapper, app.sealed_mapper):
            envelope = dumps(
                build_envelope(
                    mapper,
                    position=logged.position,
                    originator_id=logged.originator_id,
                    originator_version=logged.originator_version,
                    topic=logged.topic,
                    state=logged.state,
                    prev_hash=logged.prev_hash,
                    hash_=logged.hash,
                )
            )
            for secret in SECRETS:
                assert secret not in envelope, (logged.topic, secret.decode())
