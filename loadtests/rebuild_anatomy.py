"""Where a rebuild's time goes, beside the raw bulk of the same documents.

``python -m loadtests.rebuild_anatomy RUN_ID --runs 3`` (a topic made by ``python -m
loadtests.projection_probe prepare``) runs the bench's rebuild of the cases read model
(`loadtests.bench.projection.rebuild_once`) and then the raw bulk of the rebuilt documents,
``--runs`` times, and prints for each side, as JSON lines:

- wall seconds and events/s (the bench's own figures: from the first polled batch);
- CPU seconds of every thread of this process (``/proc/self/task``), by thread name;
- Elasticsearch's CPU seconds over the same interval (``_nodes/stats``: the whole node, so
  other users of a shared stack are in it) and the index's own statistics (indexing, refresh,
  merge, flush and get time; these are the index's alone);
- for the rebuild: the phases (catch-up, refresh and swap, the second catch-up pass), the
  bulks (count, documents, bytes, seconds: the writer thread's busy time), the realtime
  mgets, the checkpoint saves and refreshes.

``--spy SECONDS`` also records every thread with py-spy (``/tmp/spyenv/bin/py-spy``, not a
project dependency) during the first run's rebuild, ``--idle`` included, into
``/tmp/rebuild-<run>.txt`` (raw stacks); ``--cprofile FILE`` profiles the main thread's CPU
time (``time.thread_time``) during the first run's rebuild.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from consumers import projector
from consumers.kafka_driver import KAFKA_PYTHON
from loadtests.bench.projection import doc_count, final_documents, raw_bulk, rebuild_once
from loadtests.bench.tools import median, node_cpu_s, threads_cpu_s
from loadtests.cleanup import remove_named
from loadtests.projection_probe import _context
from search.indices import REBUILD_SETTINGS, Names
from search.store import ReadModels

INDEX_STATS = (
    ("indexing", "index_total"),
    ("indexing", "index_time_in_millis"),
    ("refresh", "total"),
    ("refresh", "total_time_in_millis"),
    ("refresh", "external_total"),
    ("merges", "total"),
    ("merges", "total_time_in_millis"),
    ("flush", "total"),
    ("flush", "total_time_in_millis"),
    ("get", "total"),
    ("get", "time_in_millis"),
    ("segments", "count"),
)


class ThreadCpu:
    """CPU seconds of each thread of this process, sampled until stopped (threads that end
    keep their last sample), keyed by thread name."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.last: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)

    def _sample(self) -> None:
        for thread in threading.enumerate():
            if thread.native_id is not None:
                self.names.setdefault(thread.native_id, thread.name)
        for tid, (_, cpu) in (threads_cpu_s() or {}).items():
            self.last[tid] = cpu

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> ThreadCpu:
        self._sample()
        self.start = dict(self.last)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def by_name(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for tid, cpu in self.last.items():
            name = self.names.get(tid, "other")
            # the pool's and kafka-python's threads are numbered: one key per kind
            kind = name.rstrip("0123456789_").rstrip("-_ ") or name
            out[kind] += cpu - self.start.get(tid, 0.0)
        return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v}


@dataclass
class Calls:
    count: int = 0
    items: int = 0
    nbytes: int = 0
    seconds: float = 0.0


@dataclass
class Counting:
    """Counts and times the read models' calls a projector makes."""

    calls: dict[str, Calls] = field(default_factory=lambda: defaultdict(Calls))
    sizes: list[int] = field(default_factory=list)
    refreshed_at: list[float] = field(default_factory=list)


def counting(read_models: ReadModels, tally: Counting) -> ReadModels:
    def timed(kind: str, items: int, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            c = tally.calls[kind]
            c.count += 1
            c.items += items
            c.seconds += time.perf_counter() - started
            if kind == "bulk":
                tally.sizes.append(items)
            elif kind == "refresh":
                tally.refreshed_at.append(started)

    class CountingReadModels(ReadModels):
        def write(self, target, writes, **kw):  # type: ignore[override]
            return timed(
                "bulk",
                len(writes),
                lambda: super(CountingReadModels, self).write(target, writes, **kw),
            )

        def get_many(self, target, ids):  # type: ignore[override]
            ids = list(ids)
            return timed(
                "mget", len(ids), lambda: super(CountingReadModels, self).get_many(target, ids)
            )

        def save_checkpoints(self, projection, positions):  # type: ignore[override]
            return timed(
                "checkpoints",
                0,
                lambda: super(CountingReadModels, self).save_checkpoints(projection, positions),
            )

        def refresh(self, target):  # type: ignore[override]
            return timed("refresh", 0, lambda: super(CountingReadModels, self).refresh(target))

    return CountingReadModels(read_models.client, read_models.names)


def index_stats(client, index: str) -> dict[str, Any]:
    client.indices.flush(index=index)  # so that a merge or flush still running is counted
    total = client.indices.stats(index=index)["indices"][index]["primaries"]
    return {f"{a}.{b}": total.get(a, {}).get(b) for a, b in INDEX_STATS}


def spy(seconds: float, out: str) -> subprocess.Popen | None:
    tool = "/tmp/spyenv/bin/py-spy"
    if not os.path.exists(tool):
        return None
    return subprocess.Popen(
        [
            tool,
            "record",
            "--pid",
            str(os.getpid()),
            "--threads",
            "--idle",
            "--format",
            "raw",
            "--rate",
            "50",
            "--duration",
            str(int(seconds)),
            "--output",
            out,
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


VARIANTS = {"before": None, "after": REBUILD_SETTINGS}


def anatomy(
    run_id: str, runs: int, spy_seconds: float, variant: str, cprofile: str | None = None
) -> None:
    settings = VARIANTS[variant]
    run = _context(run_id, runs=runs)
    prefix = f"{run_id}-ana{uuid.uuid4().hex[:4]}"
    client = run.read_models.client
    base = ReadModels(client, Names(prefix))
    docs: list = []
    rows: dict[str, list[dict]] = {"rebuild": [], "raw": []}
    try:
        for n in range(runs):
            tally = Counting()
            run.read_models = counting(base, tally)
            spying = (
                spy(spy_seconds, f"/tmp/rebuild-{run_id}.txt") if n == 0 and spy_seconds else None
            )
            es0 = node_cpu_s(client)
            started = time.perf_counter()
            profiler = cProfile.Profile(time.thread_time) if cprofile and n == 0 else None
            with ThreadCpu() as cpu:
                if profiler is not None:
                    profiler.enable()
                rate, events, new_index = rebuild_once(run, driver=KAFKA_PYTHON, settings=settings)
            wall = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(cprofile)
            es1 = node_cpu_s(client)
            if spying is not None:
                spying.wait()
            stats = index_stats(client, new_index)
            if not docs:
                docs = final_documents(base, new_index, run.args.doc_sample)
            per_document = events / max(1, doc_count(base, new_index))
            rows["rebuild"].append(
                {
                    "events_s": round(rate),
                    "events": events,
                    "documents": len(docs),
                    "wall_s_with_join": round(wall, 2),
                    "thread_cpu_s": cpu.by_name(),
                    "es_node_cpu_s": round(es1 - es0, 2),
                    "index": stats,
                    "calls": {
                        k: {
                            "count": c.count,
                            "items": c.items,
                            "seconds": round(c.seconds, 2),
                        }
                        for k, c in tally.calls.items()
                    },
                    "after_swap_refresh_s": round(started + wall - tally.refreshed_at[0], 2)
                    if tally.refreshed_at
                    else None,
                    "bulk_sizes_median": median([float(s) for s in tally.sizes] or [0.0]),
                }
            )
            seen: dict[str, Any] = {}

            def inspect(index: str, seen=seen) -> None:
                seen.update(index_stats(client, index))

            es0 = node_cpu_s(client)
            with ThreadCpu() as cpu:
                seconds = raw_bulk(
                    base, f"{prefix}-raw{n}-cases", docs, settings=settings, inspect=inspect
                )
            es1 = node_cpu_s(client)
            raw_rate = per_document * len(docs) / seconds
            rows["raw"].append(
                {
                    "events_s": round(raw_rate),
                    "wall_s": round(seconds, 2),
                    "thread_cpu_s": cpu.by_name(),
                    "es_node_cpu_s": round(es1 - es0, 2),
                    "index": seen,
                }
            )
            for side in ("rebuild", "raw"):
                print(
                    orjson.dumps(
                        {"run": n + 1, "variant": variant, "side": side, **rows[side][-1]}
                    ).decode()
                )
            print(
                orjson.dumps(
                    {
                        "run": n + 1,
                        "ratio": round(rate / raw_rate, 3),
                        "load_average": os.getloadavg(),
                    }
                ).decode(),
                flush=True,
            )
        ours = [r["events_s"] for r in rows["rebuild"]]
        raw = [r["events_s"] for r in rows["raw"]]
        ratios = [a / b for a, b in zip(ours, raw, strict=True)]
        print(
            orjson.dumps(
                {
                    "median_rebuild_events_s": median(ours),
                    "median_raw_events_s": median(raw),
                    "median_of_run_ratios": round(median(ratios), 3),
                    "ratio_of_medians": round(median(ours) / median(raw), 3),
                    "load_average": os.getloadavg(),
                }
            ).decode()
        )
    finally:
        remove_named(lambda name: prefix in name, kafka=run.args.kafka, es=run.args.es)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.rebuild_anatomy")
    parser.add_argument("run_id")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spy", type=float, default=0.0, help="seconds of py-spy in run 1")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default="after",
        help="before: the rebuild's index and the raw bulk's with the serving settings "
        "throughout; after: both with REBUILD_SETTINGS",
    )
    parser.add_argument(
        "--cprofile",
        metavar="FILE",
        help="cProfile of the main thread's CPU time (time.thread_time) in run 1's rebuild",
    )
    parser.add_argument(
        "--collector",
        choices=("paused", "on"),
        default="paused",
        help="on: the projector leaves Python's cyclic collector on while it folds (as before)",
    )
    a = parser.parse_args(argv)
    if a.collector == "on":
        projector.collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    anatomy(a.run_id, a.runs, a.spy, a.variant, a.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
