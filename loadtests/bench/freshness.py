"""Stage 5, freshness: commit -> searchable latency, with the relay and projectors running.

Commands are submitted open loop at a fixed rate while a watcher polls the cases alias for the
ids committed; each latency runs from the commit's return to the first search that finds the
case. Rates rise past the fixed ones until a step is no longer sustained.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.demo import person
from domain.services import Casetrack
from loadtests.bench.context import RunContext
from loadtests.bench.tools import percentile
from search.store import ReadModels


class Watcher:
    """Searches for the committed cases not yet found, until told to stop and none is left, or
    the oldest has waited `deadline_s`."""

    def __init__(self, client, alias: str, deadline_s: float) -> None:
        self.client = client
        self.alias = alias
        self.deadline_s = deadline_s
        self.pending: dict[str, float] = {}  # case id -> committed at
        self.latencies: list[float] = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def committed(self, case_id: str, at: float) -> None:
        with self._lock:
            self.pending[case_id] = at

    def run(self) -> None:
        while True:
            with self._lock:
                ids = list(self.pending)[:1000]
            if not ids:
                if self.done.is_set():
                    return
                time.sleep(0.01)
                continue
            now, oldest = self._look_for(ids)
            if now - oldest > self.deadline_s:
                return
            time.sleep(0.01)

    def _look_for(self, ids: list[str]) -> tuple[float, float]:
        """(now, the oldest commit still not found) after one search for `ids`."""
        found = self.client.search(
            index=self.alias, query={"ids": {"values": ids}}, size=len(ids), _source=False
        )
        now = time.perf_counter()
        with self._lock:
            for hit in found["hits"]["hits"]:
                committed = self.pending.pop(hit["_id"], None)
                if committed is not None:
                    self.latencies.append(now - committed)
            return now, min(self.pending.values(), default=now)


class Submitter:
    """Submits one case of `item` per applicant; a refused command is counted, not fatal."""

    def __init__(self, app: Casetrack, item: dict, watcher: Watcher) -> None:
        self.app = app
        self.item = item
        self.watcher = watcher
        self.materials = [{"code": m["code"], "document_ref": "doc-f"} for m in item["materials"]]
        self.failed: list[str] = []

    def __call__(self, applicant: dict) -> None:
        try:
            outcome = self.app.submit_case(
                item_code=self.item["code"],
                applicant=applicant,
                channel="web",
                materials=self.materials,
                actor={"role": "citizen", "subject": applicant["party_id"]},
            )
        except Exception as exc:  # a refused command is reported, not fatal to the step
            self.failed.append(f"{type(exc).__name__}: {exc}")
            return
        self.watcher.committed(outcome["case_id"], time.perf_counter())


def open_loop(submit: Callable[[dict], None], applicants: list[dict], *, rate: float, writers: int):
    """Commands due at fixed times; the rate achieved. One writer thread by default: several
    threads committing through one SQLite application time out waiting for the pool's writer
    connection ("Timed out waiting for return of writer"), a finding of this harness."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        for i, applicant in enumerate(applicants):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(submit, applicant)
    return len(applicants) / (time.perf_counter() - started)


def freshness_step(
    app: Casetrack,
    read_models: ReadModels,
    *,
    rate: float,
    duration_s: float,
    item: dict,
    deadline_s: float = 15.0,
    writers: int = 1,
) -> dict[str, Any]:
    """Commands at `rate`/s for `duration_s`; commit -> searchable latencies (s)."""
    watcher = Watcher(read_models.client, read_models.names.alias("cases"), deadline_s)
    watching = threading.Thread(target=watcher.run, daemon=True)
    watching.start()
    rng = random.Random(int(rate))
    count = int(rate * duration_s)
    applicants = [person(rng) for _ in range(count)]
    submit = Submitter(app, item, watcher)
    achieved = open_loop(submit, applicants, rate=rate, writers=writers)
    watcher.done.set()
    watching.join(duration_s + deadline_s + 30)
    latencies = watcher.latencies
    return {
        "target_rate": rate,
        "achieved_rate": achieved,
        "commands": count,
        "not_searchable": len(watcher.pending),
        "failed_commands": len(submit.failed),
        "first_failure": submit.failed[0] if submit.failed else None,
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies, default=0.0),
    }


def sustained(step: dict) -> bool:
    return (
        step["achieved_rate"] >= 0.9 * step["target_rate"]
        and step["p99_s"] <= 2.0
        and step["not_searchable"] == 0
        and step["failed_commands"] == 0
    )


def freshness_stage(app: Casetrack, run: RunContext, terms: list[dict]) -> dict[str, Any]:
    """The fixed rates, then doubling rates while they are sustained (at most `fresh_climb`)."""
    args = run.args
    item = next(t for t in terms if all(m["required"] is not None for m in t["materials"]))

    def step(rate: float) -> dict[str, Any]:
        return freshness_step(
            app, run.read_models, rate=rate, duration_s=args.fresh_seconds, item=item
        )

    steps: list[dict] = []
    for rate in args.fresh_rates:
        steps.append(step(rate))
        s = steps[-1]
        run.progress(
            f"freshness at {rate:.0f}/s: achieved {s['achieved_rate']:.0f}/s, "
            f"p50 {s['p50_s']:.2f} s, p99 {s['p99_s']:.2f} s, max {s['max_s']:.2f} s, "
            f"{s['not_searchable']} not searchable"
        )
    rate = max(args.fresh_rates) * 2
    for _ in range(args.fresh_climb):
        steps.append(step(rate))
        s = steps[-1]
        run.progress(
            f"freshness at {rate:.0f}/s: achieved {s['achieved_rate']:.0f}/s, "
            f"p99 {s['p99_s']:.2f} s"
        )
        if not sustained(s):
            break
        rate *= 2
    return {
        "steps": steps,
        "at_200": next((s for s in steps if s["target_rate"] == 200), steps[-1]),
        "highest_sustained_rate": max(
            (s["achieved_rate"] for s in steps if sustained(s)), default=0.0
        ),
    }
