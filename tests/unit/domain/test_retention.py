"""Retention (docs/design.md, "Retention"): the rule a catalogue item gives its cases, the
archive a case records when it closes, and the run that destroys what is due, leaving a
tombstone without personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from domain.errors import IllegalTransition, InvalidInput, RuleBroken
from domain.model.case import Case
from domain.model.retention import add_years, default_rule, derive_archive, validate_rule
from domain.model.service_item import ServiceItem
from domain.services import Casetrack

from .conftest import (
    ADMIN,
    APPLICANT,
    CITIZEN,
    CLERK,
    PERSON_ID,
    accepted_case,
    at,
    item_terms,
    submit_case,
)
from .conftest import publish_item as publish

TEN_YEARS = {"disposition": "destroy", "years": 10, "legal_basis": "《文书档案保管期限规定》"}


# --- the rule -------------------------------------------------------------------------


def test_an_item_without_a_rule_gets_the_default_thirty_years():
    assert validate_rule(None) == {"disposition": "destroy", "years": 30, "legal_basis": ""}
    assert publish().terms["retention"] == default_rule()
    assert publish(retention=None).case_terms()["retention"]["years"] == 30


def test_a_rule_is_normalised_and_travels_with_the_terms_a_case_copies():
    item = publish(retention={**TEN_YEARS, "legal_basis": "  《规定》 "})
    assert item.case_terms()["retention"] == {
        "disposition": "destroy",
        "years": 10,
        "legal_basis": "《规定》",
    }
    assert validate_rule({"disposition": "permanent"})["years"] is None


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"disposition": "destroy"}, "retention.years"),
        ({"disposition": "destroy", "years": 0}, "retention.years"),
        ({"disposition": "destroy", "years": 101}, "retention.years"),
        ({"disposition": "destroy", "years": True}, "retention.years"),
        ({"disposition": "destroy", "years": "10"}, "retention.years"),
        ({"disposition": "permanent", "years": 30}, "retention.years"),
        ({"disposition": "archive"}, "retention.disposition"),
        ({"disposition": "destroy", "years": 5, "keep": 1}, "retention.keep"),
        (
            {"disposition": "destroy", "years": 5, "legal_basis": "x" * 2001},
            "retention.legal_basis",
        ),
        ("destroy", "retention"),
    ],
)
def test_a_bad_rule_is_refused_naming_its_field(rule, field):
    with pytest.raises(InvalidInput) as refused:
        publish(retention=rule)
    assert refused.value.field == field


def test_an_item_stored_before_rules_reads_with_the_default_rule():
    app = Casetrack({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        item = ServiceItem.publish(code="510100-XK-0001", actor=ADMIN, **item_terms())
        item.revise(actor=ADMIN, **item_terms(promised_days=3))
        app.recorder.insert_events([_as_v1(app, e, "terms") for e in item.collect_events()])
        loaded = app.repository.get(item.id)
        assert loaded.terms["retention"] == default_rule() and loaded.revision == 2
    finally:
        app.close()


# --- the archive a closing case records -------------------------------------------------


def test_the_action_date_is_the_closing_day_in_shanghai_plus_the_years():
    # 17:00 UTC on 1 March is already 2 March in Shanghai.
    archive = derive_archive(TEN_YEARS, datetime(2026, 3, 1, 17, tzinfo=UTC))
    assert archive["closed_on"] == date(2026, 3, 2)
    assert archive["action_date"] == date(2036, 3, 2)
    assert archive["legal_basis"] == TEN_YEARS["legal_basis"]
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    permanent = derive_archive({"disposition": "permanent", "years": None}, at(2026, 3, 2))
    assert permanent["disposition"] == "permanent" and permanent["action_date"] is None
    assert derive_archive(None, at(2026, 3, 2))["action_date"] == date(2056, 3, 2)


@pytest.mark.parametrize("closing", ["decide", "reject", "refuse", "withdraw"])
def test_every_way_of_closing_records_the_archive_in_its_event(closing):
    item = publish(retention=TEN_YEARS)
    when = at(2026, 5, 20)
    if closing == "refuse":
        case = submit_case(item)
        case.reject_acceptance(reason="材料不符", actor=CLERK, timestamp=when)
    elif closing == "withdraw":
        case = submit_case(item)
        case.withdraw(actor=CITIZEN, timestamp=when)
    else:
        case = accepted_case(item)
        outcome = "approved" if closing == "decide" else "rejected"
        case.decide(outcome=outcome, reasons="不符合条件", actor=CLERK, timestamp=when)
    closed = case.collect_events()[-1]
    assert type(closed).class_version == 2
    assert closed.archive["action_date"] == date(2036, 5, 20)
    assert case.archive == closed.archive and case.archive["disposition"] == "destroy"


def test_the_rule_is_the_one_the_case_was_submitted_under():
    item = publish(retention={"disposition": "permanent"})
    case = submit_case(item)
    item.revise(actor=ADMIN, **item_terms(retention={"disposition": "destroy", "years": 1}))
    case.withdraw(actor=CITIZEN, timestamp=at(2026, 5, 20))
    assert case.archive["disposition"] == "permanent" and case.archive["action_date"] is None


def test_a_case_closed_before_rules_has_no_archive_and_is_never_due():
    app = Casetrack({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        case = submit_case(publish(retention=TEN_YEARS))
        case.withdraw(actor=CITIZEN, timestamp=at(2026, 5, 20))
        events = case.collect_events()
        stored = [app.mapper.to_stored_event(events[0]), _as_v1(app, events[1], "archive")]
        app.recorder.insert_events(stored)
        loaded = app.repository.get(case.id)
        assert loaded.status == "withdrawn" and loaded.archive is None
        with pytest.raises(RuleBroken):
            loaded.destroy(as_of=date(2099, 1, 1), actor=ADMIN)
    finally:
        app.close()


# --- the tombstone ----------------------------------------------------------------------


def _closed(rule=TEN_YEARS) -> Case:
    case = submit_case(publish(retention=rule))
    case.withdraw(reason="不办了", actor=CITIZEN, timestamp=at(2026, 5, 20))
    return case


def test_a_case_is_destroyed_only_on_or_after_its_action_date_and_only_once():
    case = _closed()
    with pytest.raises(RuleBroken):
        case.destroy(as_of=date(2036, 5, 19), actor=ADMIN)
    case.destroy(as_of=date(2036, 5, 20), actor=ADMIN)
    assert case.status == "destroyed" and case.is_final
    with pytest.raises(IllegalTransition):
        case.destroy(as_of=date(2040, 1, 1), actor=ADMIN)
    with pytest.raises(IllegalTransition):
        case.rate(score=5, actor=CITIZEN)


def test_a_permanent_case_is_never_destroyed():
    case = _closed({"disposition": "permanent"})
    with pytest.raises(RuleBroken):
        case.destroy(as_of=date(2999, 1, 1), actor=ADMIN)


def test_the_tombstone_event_and_the_state_after_it_hold_no_personal_data():
    app = Casetrack({"CASETRACK_EVENT_STORE": "memory://"})
    try:
        case = _closed()
        case.collect_events()
        case.destroy(as_of=date(2040, 1, 1), actor=ADMIN)
        [tombstone] = case.collect_events()
        state = app.mapper.to_stored_event(tombstone).state
        assert orjson.loads(state)["tombstone"] == {
            "case_number": case.case_number,
            "item_code": "510100-XK-0001",
            "department": "market-regulation",
            "disposition": "destroy",
            "action_date": {"_type_": "date_iso", "_data_": "2036-05-20"},
            "legal_basis": TEN_YEARS["legal_basis"],
        }
        assert tombstone.actor == ADMIN
        for personal in (PERSON_ID, APPLICANT["name"], "蜀味", "doc-licence", "不办了"):
            assert personal.encode() not in state
        assert case.applicant is None and case.form == {} and case.materials == {}
        assert case.closing_reason == "" and case.masked_applicant() is None
        *before, last = case.timeline
        assert all(step["subject"] is None for step in before)  # the applicant was a subject
        assert last["step"] == "CaseDestroyed" and last["subject"] == ADMIN["subject"]
    finally:
        app.close()


def _as_v1(app: Casetrack, event, key: str) -> StoredEvent:
    """The event as a class without retention wrote it: no `key`, no class_version."""
    stored = app.mapper.to_stored_event(event)
    state = app.mapper.transcoder.decode(stored.state)
    if key == "terms":
        state["terms"].pop("retention")
    else:
        state.pop(key)
    state.pop("class_version")
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=app.mapper.transcoder.encode(state),
    )
