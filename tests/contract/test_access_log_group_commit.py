"""Concurrent access-log appends share write transactions (group commit), on either adapter,
and keep every promise of one append: each caller returns only once its own entry is committed,
with its own position; positions follow commit order; a batch that fails fails every caller in
it and writes nothing (docs/design.md, guarantee 9: a read that cannot be recorded is not served).

Without it, every append held PostgreSQL's table lock through its own commit, and an anonymous
flood of verifications queued staff searches behind it (loadtests/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from domain.application import CasetrackApplication
from domain.store import access_log
from domain.store.access_log import append_access, read_access_log

CALLERS = 40


def append_concurrently(app: CasetrackApplication, callers: int = CALLERS) -> list:
    """Every caller's outcome (a position or the exception), all released at once."""
    start = threading.Barrier(callers)
    outcomes: list = [None] * callers

    def call(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = append_access(
                app.store,
                role="clerk",
                sub=f"clerk-{i}",
                endpoint="GET /api/v1/search",
                query=str(i),
            )
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


class CountingWrites:
    """Wraps the store's write transactions: counts them, and fails the next one on request."""

    def __init__(self, store) -> None:
        self.store = store
        self.original = store.write_cursor
        self.transactions = 0
        self.fail_next = False
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self):
        with self.lock:
            self.transactions += 1
            fail, self.fail_next = self.fail_next, False
        with self.original() as cursor:
            if fail:
                cursor.execute("SELECT 1")
                raise OSError("the database went away mid-batch")
            # Slow enough that callers arrive while a batch is being written.
            cursor.execute("SELECT 1")
            threading.Event().wait(0.02)
            yield cursor


class AccessLogGroupCommit:
    @pytest.fixture
    def app(self) -> Iterator[CasetrackApplication]:
        raise NotImplementedError

    def test_concurrent_appends_share_transactions_and_each_gets_its_own_committed_position(
        self, app, monkeypatch
    ) -> None:
        append_access(app.store, role="clerk", sub="warm-up", endpoint="GET /x")  # tables exist
        writes = CountingWrites(app.store)
        monkeypatch.setattr(app.store, "write_cursor", writes)
        positions = append_concurrently(app)
        assert all(isinstance(p, int) for p in positions), positions
        assert len(set(positions)) == CALLERS
        assert writes.transactions < CALLERS / 2, f"{writes.transactions} transactions"
        logged = read_access_log(app.store, 0, 1000)[1:]
        assert [e.position for e in logged] == sorted(positions), "positions in commit order"
        by_position = {e.position: e for e in logged}
        for i, position in enumerate(positions):
            assert by_position[position].sub == f"clerk-{i}", "each caller got its own entry"

    def test_a_failed_batch_fails_every_caller_in_it_and_writes_nothing(
        self, app, monkeypatch
    ) -> None:
        append_access(app.store, role="clerk", sub="warm-up", endpoint="GET /x")
        writes = CountingWrites(app.store)
        writes.fail_next = True
        monkeypatch.setattr(app.store, "write_cursor", writes)
        outcomes = append_concurrently(app, callers=10)
        failed = [o for o in outcomes if isinstance(o, Exception)]
        written = [o for o in outcomes if isinstance(o, int)]
        assert failed, "the first batch failed"
        logged = read_access_log(app.store, 0, 1000)[1:]
        assert sorted(e.position for e in logged) == sorted(written), (
            "an entry is in the log exactly when its caller was told so"
        )

    def test_more_callers_than_a_batch_holds_are_written_in_turn_each_with_its_own_entry(
        self, app, monkeypatch
    ) -> None:
        append_access(app.store, role="clerk", sub="warm-up", endpoint="GET /x")
        monkeypatch.setattr(access_log, "MAX_BATCH", 3)
        monkeypatch.setattr(app.store, "write_cursor", CountingWrites(app.store))
        positions = append_concurrently(app, callers=20)
        assert all(isinstance(p, int) and p > 1 for p in positions), positions
        by_position = {e.position: e for e in read_access_log(app.store, 0, 1000)}
        assert [by_position[p].sub for p in positions] == [f"clerk-{i}" for i in range(20)]


class TestSqliteGroupCommit(AccessLogGroupCommit):
    @pytest.fixture
    def app(self, tmp_path) -> Iterator[CasetrackApplication]:
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"sqlite:///{tmp_path / 'events.db'}"}
        )
        yield application
        application.close()


@pytest.mark.integration
class TestPostgresGroupCommit(AccessLogGroupCommit):
    @pytest.fixture
    def app(self) -> Iterator[CasetrackApplication]:
        url = os.environ.get(
            "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
        )
        schema = f"ct_test_{uuid4().hex[:12]}"
        application = CasetrackApplication(
            {"CASETRACK_EVENT_STORE": f"{url}?schema={schema}&pool_size=4"}
        )
        yield application
        application.close()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
