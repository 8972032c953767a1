"""Retention on both event stores (SQLite and PostgreSQL): the closing commit puts a case under
a destroy rule on the archive schedule (a table beside the events, so a reopened store still
knows it), the run destroys exactly what is due, once, and the hash chain and a signed
checkpoint still verify afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from domain.identifiers import make_resident_id
from domain.services import Casetrack
from tests.support.scenarios import item_terms

SHANGHAI = timezone(timedelta(hours=8))
ADMIN = {"role": "admin", "subject": "admin-1"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 321)
CITIZEN = {"role": "citizen", "subject": "citizen-1", "channel": "web"}
APPLICANT = {"party_id": PERSON_ID, "kind": "person", "name": "王小五"}
RULE = {"disposition": "destroy", "years": 2, "legal_basis": "《文书档案保管期限规定》"}
DESTROY, KEEP = "510100-XK-0001", "510100-XK-0002"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 20, 10, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store_env(request, tmp_path: Path, postgres_url: str) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}
        return
    schema = f"ct_retention_{uuid4().hex[:12]}"
    yield {"CASETRACK_EVENT_STORE": f"{postgres_url}?schema={schema}&pool_size=2"}
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def _closed_cases(app: Casetrack) -> dict[str, str]:
    app.publish_item(code=DESTROY, actor=ADMIN, **item_terms(retention=RULE))
    app.publish_item(
        code=KEEP, actor=ADMIN, **item_terms(name="备案", retention={"disposition": "permanent"})
    )

    def submit(code: str) -> str:
        return app.submit_case(item_code=code, applicant=APPLICANT, channel="web", actor=CITIZEN)[
            "case_id"
        ]

    refused, withdrawn, kept, still_open = (submit(c) for c in (DESTROY, DESTROY, KEEP, DESTROY))
    app.reject_acceptance(case_id=refused, reason="材料不符", actor=CLERK)
    app.withdraw_case(case_id=withdrawn, actor=CITIZEN)
    app.withdraw_case(case_id=kept, actor=CITIZEN)
    return {"refused": refused, "withdrawn": withdrawn, "kept": kept, "open": still_open}


def test_the_run_destroys_exactly_what_is_due_once_and_the_store_still_verifies(store_env):
    clock = Clock()
    app = Casetrack(store_env, clock=clock)
    try:
        cases = _closed_cases(app)
        due = {UUID(cases["refused"]), UUID(cases["withdrawn"])}
        scheduled = app.store.due_destructions(date(2028, 5, 20))
        assert {i for i, _ in scheduled} == due
        assert {d for _, d in scheduled} == {date(2028, 5, 20)}
        assert app.store.due_destructions(date(2028, 5, 19)) == []
    finally:
        app.close()

    clock.now = datetime(2028, 6, 1, 9, tzinfo=SHANGHAI)
    app = Casetrack(store_env, clock=clock)  # the schedule is in the store, not in a process
    try:
        app.write_checkpoint()
        answer = app.run_retention(actor=ADMIN)
        assert sorted(answer["destroyed"]) == sorted([cases["refused"], cases["withdrawn"]])
        assert answer["count"] == 2 and answer["held"] == []
        assert app.run_retention(actor=ADMIN)["destroyed"] == []
        assert app.store.due_destructions(date(2028, 6, 1)) == []
        statuses = {k: app.repository.get(UUID(v)).status for k, v in cases.items()}
        assert statuses == {
            "refused": "destroyed",
            "withdrawn": "destroyed",
            "kept": "withdrawn",
            "open": "submitted",
        }
        for case_id in answer["destroyed"]:
            *_, tombstone = app.read_stream(UUID(case_id))
            assert tombstone.topic.endswith("Case.CaseDestroyed")
            assert PERSON_ID.encode() not in tombstone.state
            assert APPLICANT["name"].encode() not in tombstone.state
        app.write_checkpoint()
        report = app.verify()
        assert report.broken == [] and report.checkpoint is not None and report.checkpoint.ok
    finally:
        app.close()


def test_the_schedule_pages_by_action_date_then_id(store_env):
    app = Casetrack(store_env)
    try:
        ids = sorted((uuid4() for _ in range(5)), key=lambda i: i.hex)
        days = [
            date(2030, 1, 3),
            date(2030, 1, 1),
            date(2030, 1, 2),
            date(2030, 1, 1),
            date(2031, 1, 1),
        ]
        with app.store.write_cursor() as cursor:
            for aggregate_id, day in zip(ids, days, strict=True):
                app.store.schedule_destruction(cursor, aggregate_id, day)
        walked, after = [], None
        while page := app.store.due_destructions(date(2030, 12, 31), after=after, limit=2):
            walked += page
            after = page[-1]
        assert walked == sorted(
            [(i, d) for i, d in zip(ids, days, strict=True) if d.year == 2030],
            key=lambda row: (row[1], row[0].hex),
        )
    finally:
        app.close()
