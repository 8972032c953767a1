"""The retention run through the real application on a throw-away store: it destroys exactly
the closed cases due under a destroy rule, with their payments and licence, once; the chain
still verifies; the keys go in one call per case, and a run that stops before them is
finished by the next without a second tombstone."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.model.licence import Licence
from domain.model.payment import Payment
from domain.services import Casetrack

from .conftest import ADMIN, ALL_MATERIALS, APPLICANT, CITIZEN, CLERK, GATEWAY, at, item_terms

ONE_YEAR = {"disposition": "destroy", "years": 1, "legal_basis": "《文书档案保管期限规定》"}
DESTROY, KEEP, LICENSED = "510100-XK-0001", "510100-XK-0002", "510100-XK-0003"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(at(2026, 5, 20))


@pytest.fixture
def app(clock):
    application = Casetrack({"CASETRACK_EVENT_STORE": "memory://"}, clock=clock)
    application.publish_item(code=DESTROY, actor=ADMIN, **item_terms(retention=ONE_YEAR))
    application.publish_item(
        code=KEEP, actor=ADMIN, **item_terms(name="备案", retention={"disposition": "permanent"})
    )
    application.publish_item(
        code=LICENSED,
        actor=ADMIN,
        **item_terms(
            name="食品经营许可(含证照)",
            fee_fen=5000,
            licence_type="食品经营许可证",
            licence_valid_days=730,
            retention=ONE_YEAR,
        ),
    )
    yield application
    application.close()


def submit(app: Casetrack, code: str) -> str:
    return app.submit_case(
        item_code=code, applicant=APPLICANT, channel="web", materials=ALL_MATERIALS, actor=CITIZEN
    )["case_id"]


def approved_with_licence(app: Casetrack) -> str:
    case_id = submit(app, LICENSED)
    fee = app.accept_case(case_id=case_id, actor=CLERK)["payment_id"]
    app.settle_payment(
        payment_id=fee, channel="unionpay", transaction_ref="T-1", amount_fen=5000, actor=GATEWAY
    )
    app.decide_case(case_id=case_id, outcome="approved", actor=CLERK)
    return case_id


@pytest.fixture
def cases(app):
    refused = submit(app, DESTROY)
    app.reject_acceptance(case_id=refused, reason="材料不符", actor=CLERK)
    kept = submit(app, KEEP)
    app.withdraw_case(case_id=kept, actor=CITIZEN)
    open_case = submit(app, DESTROY)
    return {
        "refused": refused,
        "kept": kept,
        "open": open_case,
        "licensed": approved_with_licence(app),
    }


def test_nothing_is_due_before_the_action_date(app, clock, cases):
    clock.now = at(2027, 6, 1)
    answer = app.run_retention(as_of=date(2027, 5, 19), actor=ADMIN)
    assert answer["destroyed"] == [] and answer["count"] == 0 and answer["position"] is None


def test_a_due_case_is_destroyed_once_and_permanent_and_open_ones_never(app, clock, cases):
    clock.now = at(2027, 6, 1)
    before = app.max_position()
    answer = app.run_retention(as_of=date(2027, 5, 20), actor=ADMIN)
    assert answer["as_of"] == "2027-05-20"
    assert answer["destroyed"] == [cases["refused"]] and answer["count"] == 1
    # The licence is in force until 2028: the approved case waits for it.
    [held] = answer["held"]
    assert held["case_id"] == cases["licensed"] and "still in force" in held["reason"]
    assert answer["position"] == app.max_position() == before + 1
    tombstoned = app.repository.get(UUID(cases["refused"]))
    assert tombstoned.status == "destroyed" and tombstoned.applicant is None
    assert app.repository.get(UUID(cases["kept"])).status == "withdrawn"
    assert app.repository.get(UUID(cases["open"])).status == "submitted"

    again = app.run_retention(as_of=date(2027, 6, 1), actor=ADMIN)
    assert again["destroyed"] == [] and again["count"] == 0
    assert app.max_position() == before + 1
    assert app.verify().ok


def test_the_licence_and_payments_go_with_their_case_once_the_licence_expired(app, clock, cases):
    clock.now = at(2028, 6, 1)
    answer = app.run_retention(actor=ADMIN)  # as of today
    assert answer["as_of"] == "2028-06-01"
    assert sorted(answer["destroyed"]) == sorted([cases["refused"], cases["licensed"]])
    case = app.repository.get(UUID(cases["licensed"]))
    [fee] = [app.repository.get(UUID(p["payment_id"])) for p in case.payments]
    licence = app.repository.get(case.licence_id)
    assert isinstance(fee, Payment) and fee.destroyed and fee.payer_party_id is None
    assert fee.amount_fen == 5000 and fee.status == "settled"
    assert isinstance(licence, Licence) and licence.status == "destroyed"
    assert licence.holder is None and licence.verification_code is None
    assert licence.state(clock.now) == "unknown"
    tombstones = [e for e in app.read_stream(case.id) if e.topic.endswith("CaseDestroyed")]
    assert len(tombstones) == 1
    assert app.verify().ok


def test_as_of_after_today_is_refused_and_nothing_changes(app, clock, cases):
    clock.now = at(2027, 6, 1)
    before = app.max_position()
    with pytest.raises(InvalidInput) as refused:
        app.run_retention(as_of=date(2027, 6, 2), actor=ADMIN)
    assert refused.value.field == "as_of"
    assert app.max_position() == before


def test_keys_go_in_one_call_and_a_run_stopped_before_them_is_finished_by_the_next(
    app, clock, cases, monkeypatch
):
    clock.now = at(2028, 6, 1)
    calls: list[list[UUID]] = []
    store = app.store
    real = type(store).destroy_keys

    def failing(self, ids):
        calls.append(list(ids))
        raise ConnectionError("the key store went away")

    monkeypatch.setattr(type(store), "destroy_keys", failing)
    with pytest.raises(ConnectionError):
        app.run_retention(actor=ADMIN)
    licensed = app.repository.get(UUID(cases["licensed"]))
    refused = app.repository.get(UUID(cases["refused"]))
    assert licensed.status == refused.status == "destroyed"  # the tombstones were committed
    records = {licensed.id, licensed.licence_id, refused.id}
    records |= {UUID(p["payment_id"]) for p in licensed.payments}
    assert len(calls) == 1 and set(calls[0]) == records  # one call for all the page's records
    assert {i for i, _ in store.due_destructions(date(2028, 6, 1))} == {licensed.id, refused.id}

    monkeypatch.setattr(type(store), "destroy_keys", real)
    position = app.max_position()
    answer = app.run_retention(actor=ADMIN)
    assert answer["destroyed"] == [] and app.max_position() == position  # no second tombstone
    assert store.aggregate_keys(list(records)) == []  # ... but the keys went
    assert store.due_destructions(date(2028, 6, 1)) == []
    assert store.destroy_keys(list(records)) == 0


def test_the_keys_of_a_destroyed_case_its_payment_and_licence_are_gone(app, clock, cases):
    licensed = app.repository.get(UUID(cases["licensed"]))
    records = [
        licensed.id,
        licensed.licence_id,
        *(UUID(p["payment_id"]) for p in licensed.payments),
    ]
    assert {k.aggregate_id for k in app.store.aggregate_keys(records)} == set(records)
    clock.now = at(2028, 6, 1)
    assert cases["licensed"] in app.run_retention(actor=ADMIN)["destroyed"]
    assert app.store.aggregate_keys(records) == []
    # What was sealed under them no longer opens, in any copy of the events.
    submitted = app.repository.get(licensed.id, version=1)
    assert submitted.applicant["name"] == "[erased]"
    assert submitted.applicant["party_id"] == "[erased]"
    assert app.verify().ok
