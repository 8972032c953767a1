"""A writing process for the several-processes test (importable by spawned children)."""

from __future__ import annotations

import traceback
from typing import Any

from domain.application import CasetrackApplication
from domain.store.records import IdempotencyRequest
from tests.support.store_aggregates import open_ticket


def write_commits(store_url: str, worker: int, commits: int, go: Any, results: Any) -> None:
    app = CasetrackApplication({"CASETRACK_EVENT_STORE": store_url})
    try:
        numbers = []
        if not go.wait(60):
            results.put((worker, "error", "start signal never came"))
            return
        for i in range(commits):

            def build(tx: Any, i: int = i) -> list[Any]:
                ticket = open_ticket(tx, title=f"进程{worker}-{i}")
                ticket.note("submitted")
                return [ticket]

            result = app.commit(
                build,
                IdempotencyRequest(f"worker-{worker}", f"k-{i}", "h"),
                lambda aggs, pos: (201, {"number": aggs[0].number}),
            )
            numbers.append(result.body["number"])
        results.put((worker, "ok", numbers))
    except Exception:
        results.put((worker, "error", traceback.format_exc()))
    finally:
        app.close()
