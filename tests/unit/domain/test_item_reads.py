"""A command decides against the service item's current revision, whichever process revised
it: items are read on the command's write cursor and kept decoded only by stream version
(`domain/references.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.services import Casetrack

from .conftest import ADMIN, ALL_MATERIALS, APPLICANT, CITIZEN, item_terms

CODE = "510100-XK-0001"


@pytest.fixture
def two_processes(tmp_path):
    env = {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}
    clock = lambda: datetime(2025, 9, 26, 2, tzinfo=UTC)  # noqa: E731
    apps = Casetrack(env, clock=clock), Casetrack(env, clock=clock)
    yield apps
    for app in apps:
        app.close()


def submitted_terms(app: Casetrack) -> dict:
    outcome = app.submit_case(
        item_code=CODE, applicant=APPLICANT, channel="web", materials=ALL_MATERIALS, actor=CITIZEN
    )
    return app.repository.get(UUID(outcome["case_id"])).item


def test_a_case_is_submitted_under_the_revision_another_process_committed(two_processes):
    ours, theirs = two_processes
    ours.publish_item(code=CODE, actor=ADMIN, **item_terms())
    assert submitted_terms(ours)["promised_days"] == 5
    assert submitted_terms(ours)["revision"] == 1  # kept, still current
    theirs.revise_item(code=CODE, actor=ADMIN, **item_terms(promised_days=2))
    terms = submitted_terms(ours)
    assert terms["revision"] == 2 and terms["promised_days"] == 2
    ours.revise_item(code=CODE, actor=ADMIN, **item_terms(promised_days=3))
    assert submitted_terms(theirs)["promised_days"] == 3


def test_an_item_withdrawn_by_another_process_takes_no_new_case(two_processes):
    ours, theirs = two_processes
    ours.publish_item(code=CODE, actor=ADMIN, **item_terms())
    submitted_terms(ours)
    theirs.withdraw_item(code=CODE, actor=ADMIN, reason="事项取消")
    before = ours.max_position()
    with pytest.raises(InvalidInput, match="has been withdrawn"):
        submitted_terms(ours)
    assert ours.max_position() == before


def test_an_unknown_item_is_refused(two_processes):
    ours, _ = two_processes
    with pytest.raises(InvalidInput, match="no service item"):
        submitted_terms(ours)
