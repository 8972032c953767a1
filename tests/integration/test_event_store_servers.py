"""The bare eventsourcing library appends and reads events on both local stores."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

pytestmark = pytest.mark.integration


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str):
        self.text = text

    @event("Amended")
    def amend(self, text: str):
        self.text = text


def _exercise(env: dict[str, str]) -> None:
    app = Application(env=env)
    note = Note("受理通知")
    note.amend("准予许可决定书")
    app.save(note)
    again = app.repository.get(note.id)
    assert again.text == "准予许可决定书"
    assert again.version == 2
    notifications = app.recorder.select_notifications(start=None, limit=10)
    assert [n.originator_version for n in notifications if n.originator_id == note.id] == [1, 2]


def test_events_round_trip_through_a_sqlite_file(tmp_path):
    _exercise(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "events.db")}
    )


def test_events_round_trip_through_postgresql(postgres_url, unique):
    url = urlparse(postgres_url)
    schema = f"smoke_{unique}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        _exercise(
            {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/"),
                "POSTGRES_HOST": url.hostname,
                "POSTGRES_PORT": str(url.port),
                "POSTGRES_USER": url.username,
                "POSTGRES_PASSWORD": url.password,
                "POSTGRES_SCHEMA": schema,
            }
        )
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
