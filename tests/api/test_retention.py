"""Retention over HTTP (docs/api.md, "Retention") on a real store: the catalogue's rule, with
v1 bodies still published (with the default rule); `POST /retention/run` for admins only, `as_of` never
after today, exactly what is due destroyed once; and `manage.py retention`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from uuid import UUID

import orjson
import pytest
from django.core.management import CommandError, call_command

from domain.calendar import shanghai_date
from domain.model.service_item import item_id

from .conftest import ADMIN, AUDITOR, CITIZEN, CLERK, ITEM, LICENSED, PERSON, item_body

RULE = {"disposition": "destroy", "years": 1, "legal_basis": "《文书档案保管期限规定》"}


@pytest.mark.parametrize(
    ("retention", "field"),
    [
        ({"disposition": "destroy"}, "retention.years"),
        ({"disposition": "permanent", "years": 10}, "retention.years"),
        ({"disposition": "destroy", "years": 0}, "retention.years"),
        ({"disposition": "destroy", "years": "10"}, "retention.years"),
        ({"disposition": "shred", "years": 10}, "retention.disposition"),
        ({"disposition": "destroy", "years": 10, "keep": True}, "retention.keep"),
    ],
)
def test_a_bad_rule_is_422_naming_its_field_and_nothing_is_published(http, retention, field):
    answer = http.post("/catalog/items", item_body(ITEM, retention=retention), as_=ADMIN)
    assert answer.status == 422, answer.body
    assert field in [e["field"] for e in answer.problem["errors"]]
    assert http.app.max_position() == 0


def test_a_v1_body_without_a_rule_publishes_an_item_with_the_default_rule(http):
    http.publish(ITEM)  # item_body has no retention
    item = http.app.repository.get(item_id(ITEM))
    assert item.terms["retention"] == {"disposition": "destroy", "years": 30, "legal_basis": ""}
    http.publish(LICENSED, retention=RULE)
    assert http.app.repository.get(item_id(LICENSED)).terms["retention"] == RULE
    revised = http.put(
        f"/catalog/items/{LICENSED}",
        {k: v for k, v in item_body(LICENSED).items() if k != "code"},
        as_=ADMIN,
    )
    assert revised.status == 200, revised.body
    assert http.app.repository.get(item_id(LICENSED)).terms["retention"]["years"] == 30


@pytest.fixture
def closed_two_years_ago(http):
    """A case refused under a one-year destroy rule two years ago, and one under no rule."""
    http.publish(ITEM, retention=RULE)
    http.publish(LICENSED, name="备案", retention={"disposition": "permanent"})
    real = http.app.clock
    http.app.clock = lambda: real() - timedelta(days=731)
    try:
        due = http.submit(ITEM)["case_id"]
        assert http.post(f"/cases/{due}/reject-acceptance", {"reason": "不符"}, as_=CLERK).status
        kept = http.submit(LICENSED)["case_id"]
        assert http.post(f"/cases/{kept}/withdraw", as_=CITIZEN).status == 200
    finally:
        http.app.clock = real
    return due, kept


def test_an_admin_run_destroys_what_is_due_once(http, closed_two_years_ago):
    due, kept = closed_two_years_ago
    answer = http.post("/retention/run", {}, as_=ADMIN)
    assert answer.status == 200, answer.body
    today = shanghai_date(datetime.now(UTC)).isoformat()
    assert answer.body == {
        "as_of": today,
        "destroyed": [due],
        "count": 1,
        "held": [],
        "position": http.app.max_position(),
    }
    assert http.app.repository.get(UUID(due)).status == "destroyed"
    assert http.app.repository.get(UUID(kept)).status == "withdrawn"
    again = http.post("/retention/run", {"as_of": today}, as_=ADMIN)
    assert again.status == 200 and again.body["destroyed"] == [] and again.body["count"] == 0
    # The tombstone names nobody: its applicant no longer finds it, nobody can bill it.
    assert http.post(f"/cases/{due}/rate", {"score": 5}, as_=CITIZEN).status == 404
    charge = {
        "amount_fen": 100,
        "payer_party_id": PERSON,
        "reference": {"case_id": due},
        "due_date": today,
    }
    assert http.post("/payments", charge, as_=CLERK).status == 409


def test_a_repeat_with_the_same_idempotency_key_answers_the_first_run(http, closed_two_years_ago):
    due, _ = closed_two_years_ago
    first = http.post("/retention/run", {}, as_=ADMIN, key="run-1")
    assert first.status == 200 and first.body["destroyed"] == [due]
    again = http.post("/retention/run", {}, as_=ADMIN, key="run-1")
    assert again.status == 200 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    other = http.post("/retention/run", {}, as_=ADMIN, key="run-2")
    assert other.status == 200 and other.body["destroyed"] == []
    assert http.post("/retention/run", {}, as_=ADMIN, key="bad key").status == 422


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"as_of": "2999-01-01"}, 422, "as_of"),
        ({"as_of": "2026-13-01"}, 422, "as_of"),
        ({"as_of": "yesterday"}, 422, "as_of"),
        ({"when": "2026-01-01"}, 422, "when"),
    ],
)
def test_a_bad_run_is_refused_and_destroys_nothing(http, closed_two_years_ago, body, status, field):
    before = http.app.max_position()
    answer = http.post("/retention/run", body, as_=ADMIN)
    assert answer.status == status, answer.body
    assert field in [e["field"] for e in answer.problem["errors"]]
    assert http.app.max_position() == before


def test_tomorrow_in_shanghai_is_refused_even_when_it_is_today_in_utc(http, closed_two_years_ago):
    tomorrow = shanghai_date(datetime.now(UTC)) + timedelta(days=1)
    answer = http.post("/retention/run", {"as_of": tomorrow.isoformat()}, as_=ADMIN)
    assert answer.status == 422 and answer.problem["errors"][0]["field"] == "as_of"


@pytest.mark.parametrize("who", [CLERK, AUDITOR, CITIZEN])
def test_only_admins_run_it(http, closed_two_years_ago, who):
    before = http.app.max_position()
    assert http.post("/retention/run", {}, as_=who).status == 403
    assert http.post("/retention/run", {}, as_=None).status == 401
    assert http.app.max_position() == before


def test_the_management_command_runs_it_and_refuses_a_future_day(http, closed_two_years_ago):
    due, _ = closed_two_years_ago
    out = StringIO()
    call_command("retention", stdout=out)
    assert orjson.loads(out.getvalue().splitlines()[-1])["destroyed"] == [due]
    with pytest.raises(CommandError, match="as_of"):
        call_command("retention", "--as-of", "2999-01-01", stdout=StringIO())


def test_the_daily_run_waits_for_the_next_two_oclock_in_shanghai():
    from api.management.commands.retention import seconds_until_next_run

    assert seconds_until_next_run(datetime(2026, 12, 1, 17, tzinfo=UTC)) == 3600  # 01:00 there
    assert seconds_until_next_run(datetime(2026, 12, 1, 18, tzinfo=UTC)) == 86400  # 02:00
    assert seconds_until_next_run(datetime(2026, 12, 1, 18, 30, tzinfo=UTC)) == 84600
