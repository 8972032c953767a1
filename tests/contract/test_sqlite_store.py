from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.application import CasetrackApplication
from tests.contract.store_contract import EventStoreContract


class TestSQLiteEventStore(EventStoreContract):
    writers_wait_from_the_start = True

    @pytest.fixture
    def store_env(self, tmp_path: Path) -> Iterator[dict[str, str]]:
        yield {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}

    def execute(self, env: dict[str, str], statement: str, params: tuple = ()) -> list[Any]:
        path = env["CASETRACK_EVENT_STORE"].removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as connection:
            sql = statement.format(
                events="stored_events",
                checkpoints="casetrack_checkpoints",
                buckets="casetrack_checkpoint_buckets",
                nodes="casetrack_checkpoint_nodes",
            ).replace("%s", "?")
            return connection.execute(sql, params).fetchall()

    def id_param(self, aggregate_id: UUID) -> str:
        return aggregate_id.hex


def test_the_sqlite_file_is_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    app = CasetrackApplication(
        {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'e.db'}?busy_timeout=12"}
    )
    try:
        with app.store.read_cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 12000
    finally:
        app.close()


def test_write_transactions_begin_immediate_so_a_second_writer_waits_not_fails(
    tmp_path: Path,
) -> None:
    """A deferred transaction that reads then writes fails at once with SQLITE_BUSY
    when another connection wrote meanwhile; an immediate one takes the lock first."""
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'e.db'}"})
    try:
        with app.store.write_cursor():
            other = sqlite3.connect(tmp_path / "e.db", timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        app.close()


def test_memory_store_is_a_throwaway_file_removed_on_close() -> None:
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": "memory://"})
    path = Path(app.env["SQLITE_DBNAME"])
    assert path.exists()
    app.close()
    assert not path.exists()
