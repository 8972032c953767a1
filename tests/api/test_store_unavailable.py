"""An event store that is busy or gone answers 503 problem+json with Retry-After, not a 500.

Found by loadtests/http_probe.py: eight concurrent submissions through gunicorn on the SQLite
store timed out waiting for its writer ("Timed out waiting for return of writer", "database is
locked") and Django answered its HTML 500 page.
"""

from __future__ import annotations

import pytest
from eventsourcing.persistence import ConnectionUnavailableError, OperationalError

from tests.api.conftest import APPLICANT, CITIZEN, ITEM


@pytest.mark.parametrize(
    "error",
    [
        ConnectionUnavailableError("Timed out waiting for return of writer"),
        OperationalError("database is locked"),
    ],
)
def test_a_busy_event_store_is_a_retryable_503_problem_and_appends_nothing(
    catalogue, monkeypatch, error
):
    app = catalogue.app
    before = app.max_position()

    def busy(*args, **kwargs):
        raise error

    monkeypatch.setattr(app.store, "write_cursor", busy)
    answer = catalogue.post(
        "/cases",
        {"item_code": ITEM, "channel": "web", "materials": [], "applicant": APPLICANT},
        as_=CITIZEN,
    )
    assert answer.status == 503, answer.body
    assert answer.problem["status"] == 503 and "Try again" in answer.problem["detail"]
    assert answer.headers["Retry-After"] == "1"
    monkeypatch.undo()
    assert app.max_position() == before
