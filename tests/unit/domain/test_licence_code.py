"""A licence's verification code (docs/api.md, "Licences"): unguessable, drawn at issue and
recorded in the issuing event, kept by renewal; a licence stored before codes existed
(`LicenceIssued` v1) has none until it is renewed."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain.application import CasetrackApplication
from domain.model.licence import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Licence,
    code_matches,
)

from .conftest import APPLICANT, CLERK, at
from .test_licence import licence


def test_each_licence_gets_its_own_code_of_twelve_unambiguous_characters_at_issue():
    codes = {licence().verification_code for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH == 12 and set(code) <= set(CODE_ALPHABET)
    assert not set("01ILO") & set(CODE_ALPHABET)


def test_the_code_is_recorded_in_the_issuing_event_as_its_version_2():
    lic = licence()
    [issued] = lic.collect_events()
    assert type(issued).__name__ == "LicenceIssued" and type(issued).class_version == 2
    assert issued.verification_code == lic.verification_code


def test_the_code_matches_whatever_the_case_spaces_or_hyphens_and_nothing_else_does():
    code = licence().verification_code
    assert code_matches(code, code)
    assert code_matches(code, f" {code[:4].lower()}-{code[4:8]} {code[8:]} ")
    assert not code_matches(code, code[:-1])
    assert not code_matches(code, None)
    assert not code_matches(code, "")
    assert not code_matches(code, "核验码" * 4)
    assert not code_matches(None, code) and not code_matches(None, None)


def test_renewal_keeps_the_code_so_printed_licences_stay_good():
    lic = licence(365)
    code = lic.verification_code
    lic.renew(actor=CLERK, timestamp=at(2026, 9, 1))
    renewed = lic.collect_events()[-1]
    assert lic.verification_code == code and renewed.verification_code is None


def _stored_as_v1(app: CasetrackApplication, event) -> StoredEvent:
    """The event as the class before codes wrote it: no code, no class_version."""
    stored = app.mapper.to_stored_event(event)
    state = app.mapper.transcoder.decode(stored.state)
    state.pop("verification_code")
    state.pop("class_version")
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=app.mapper.transcoder.encode(state),
    )


def test_a_licence_stored_before_codes_has_none_until_renewal_gives_it_one():
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        old = Licence.issue(
            number="SCL-2024-510100-00000007",
            holder=APPLICANT,
            item_code="510100-XK-0001",
            item_name="食品经营许可",
            licence_type="食品经营许可证",
            case_id=uuid4(),
            valid_days=365,
            department="market-regulation",
            region_code="510100",
            actor=CLERK,
            timestamp=at(2024, 10, 10),
        )
        old.renew(actor=CLERK, timestamp=at(2025, 9, 1))
        app.recorder.insert_events([_stored_as_v1(app, e) for e in old.collect_events()])

        loaded = app.repository.get(old.id)
        assert loaded.verification_code is None and loaded.renewals == 1
        assert not code_matches(loaded.verification_code, "")

        loaded.renew(actor=CLERK, timestamp=at(2026, 9, 1))
        app.save(loaded)
        code = app.repository.get(old.id).verification_code
        assert code and len(code) == CODE_LENGTH
        assert app.repository.get(old.id).verification_code == code
        assert app.verify().ok
    finally:
        app.close()
