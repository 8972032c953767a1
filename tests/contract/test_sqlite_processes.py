"""API workers, the relay and seed_demo share one SQLite file: writes must not fail."""

from __future__ import annotations

import multiprocessing
import queue
from pathlib import Path

from domain.application import CasetrackApplication
from tests.support.sqlite_writer import write_commits

PROCESSES = 4
COMMITS = 40
DEADLINE_S = 120


def test_four_processes_writing_one_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    CasetrackApplication({"CASETRACK_EVENT_STORE": url}).close()  # schema created once
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=write_commits, args=(url, w, COMMITS, go, results))
        for w in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    go.set()
    outcomes = []
    try:
        for _ in workers:
            outcomes.append(results.get(timeout=DEADLINE_S))
    except queue.Empty:
        raise AssertionError(f"only {len(outcomes)} of {PROCESSES} workers reported") from None
    finally:
        for process in workers:
            process.join(timeout=DEADLINE_S)
            if process.is_alive():
                process.kill()
    errors = [o for o in outcomes if o[1] != "ok"]
    assert not errors, errors[0][2]

    numbers = sorted(n for _, _, ns in outcomes for n in ns)
    assert numbers == list(range(1, PROCESSES * COMMITS + 1))
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": url})
    try:
        log = app.read_log(after=0, limit=10_000)
        assert len(log) == PROCESSES * COMMITS * 2
        assert len({e.originator_id for e in log}) == PROCESSES * COMMITS
        assert app.verify().ok
    finally:
        app.close()
