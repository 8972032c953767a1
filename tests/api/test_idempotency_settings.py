"""The idempotency settings in the environment reach the API's event store application.

`CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT` and `CASETRACK_IDEMPOTENCY_RETENTION_HOURS` were once
read by the store but never passed on by the API's configuration, so setting them changed
nothing. A value that cannot take effect stops the start, naming its variable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api import wiring
from api.config import get_config
from domain.errors import IdempotencyKeyInFlight
from domain.store.records import IdempotencyRequest

ROOT = Path(__file__).resolve().parents[2]


def answer(aggregates: Any, position: int | None) -> tuple[int, dict]:
    return 201, {"done": True}


@pytest.fixture
def api_application(tmp_path, monkeypatch) -> Iterator[Any]:
    """The application the API's commands use, built from the process environment."""
    monkeypatch.setenv("CASETRACK_EVENT_STORE", f"sqlite:///{tmp_path / 'events.db'}")
    monkeypatch.setenv("CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT", "5")
    monkeypatch.setenv("CASETRACK_IDEMPOTENCY_RETENTION_HOURS", "48")
    get_config.cache_clear()
    wiring.reset_application()
    app = wiring.application()
    yield app
    app.close()
    monkeypatch.undo()
    wiring.reset_application()
    get_config.cache_clear()


def test_the_in_flight_timeout_set_in_the_environment_decides_when_a_key_is_taken_over(
    api_application,
):
    app = api_application
    assert app.settings.in_flight_timeout == timedelta(seconds=5)
    now = app.clock()
    recent = IdempotencyRequest("clerk-7\nPOST /cases", "k-recent", "h")
    crashed = IdempotencyRequest("clerk-7\nPOST /cases", "k-crashed", "h")
    # Two workers reserved a key and died: one 3 s ago, one 6 s ago.
    for key, age_s in ((recent, 3), (crashed, 6)):
        app.store.reserve_idempotency(
            key,
            token="dead-worker",
            now=now - timedelta(seconds=age_s),
            stale_before=now - timedelta(hours=1),
        )
    with pytest.raises(IdempotencyKeyInFlight):
        app.commit(lambda tx: [], recent, answer)
    # With the default (120 s) this one would still be refused as in flight.
    result = app.commit(lambda tx: [], crashed, answer)
    assert (result.status, result.replayed) == (201, False)


def test_the_retention_set_in_the_environment_decides_when_keys_are_purged(api_application):
    app = api_application
    assert app.settings.retention == timedelta(hours=48)
    key = IdempotencyRequest("admin-1\nPOST /catalog/items", "k", "h")
    app.commit(lambda tx: [], key, answer)
    real_clock = app.clock
    try:
        app.clock = lambda: real_clock() + timedelta(hours=47)
        assert app.purge_idempotency_keys() == 0  # the default (24 h) would purge it
        assert app.commit(lambda tx: [], key, answer).replayed
        app.clock = lambda: real_clock() + timedelta(hours=49)
        assert app.purge_idempotency_keys() == 1
    finally:
        app.clock = real_clock


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CASETRACK_IDEMPOTENCY_RETENTION_HOURS", "1"),
        ("CASETRACK_IDEMPOTENCY_RETENTION_HOURS", "a day"),
        ("CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT", "0"),
        ("CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT", "inf"),
    ],
)
def test_a_value_that_cannot_take_effect_stops_the_start_naming_its_variable(variable, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRACK_IDEMPOTENCY_")}
    env.update({"DJANGO_SETTINGS_MODULE": "api.settings", variable: value})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"  - {variable}: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
