"""The service item's load alone, the old path against the new, interleaved in one process:
inside an open write transaction, `load_or_none` (a reader transaction of its own through the
library's `Repository.get`, as commands loaded items before 2026-12-01's fifth session),
`Tx.reference` (the item stream's head on the write cursor, the kept copy), or nothing.

    .venv/bin/python -m loadtests.item_load_probe --backend sqlite --per-block 1000
    .venv/bin/python -m loadtests.item_load_probe --backend postgres --per-block 300

Prints the median µs per write transaction of each (ten blocks of each, alternated), for the
CPU clock and the wall clock, and the item load (the empty transaction subtracted). SQLite
goes to /dev/shm (no fsync: the statements' cost, not the disk's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.application import Tx
from domain.model.service_item import item_id
from domain.services import Casetrack
from loadtests.bench.append import _fee_free_item, postgres_envs, sqlite_envs
from loadtests.bench.config import DEFAULTS

BLOCKS = 10


def measure(app: Casetrack, per_block: int) -> dict[str, dict[str, float]]:
    iid = item_id(_fee_free_item(app)["code"])
    ways: dict[str, Callable[[Any], Any]] = {
        "load_or_none": lambda cursor: app.load_or_none(iid),
        "reference": lambda cursor: Tx(app.store, cursor, app.references).reference(iid),
        "empty": lambda cursor: None,
    }
    out: dict[str, dict[str, float]] = {}
    for label, clock in (("cpu", time.process_time), ("wall", time.perf_counter)):
        got: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(BLOCKS):
            for name, way in ways.items():
                started = clock()
                for _ in range(per_block):
                    with app.store.write_cursor() as cursor:
                        way(cursor)
                got[name].append((clock() - started) / per_block * 1e6)
        out[label] = {name: statistics.median(values) for name, values in got.items()}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.item_load_probe")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--per-block", type=int, default=1000)
    parser.add_argument("--postgres", default=DEFAULTS["postgres"])
    args = parser.parse_args(argv)
    base = Path("/dev/shm") / f"item-load-{os.getpid()}"
    if args.backend == "sqlite":
        make = sqlite_envs(base)
    else:
        make = postgres_envs(args.postgres, f"itemload{os.getpid()}")
    _, env, cleanup = make()
    app = Casetrack(env=env)
    try:
        figures = measure(app, args.per_block)
    finally:
        app.close()
        cleanup()
        shutil.rmtree(base, ignore_errors=True)
    for label, med in figures.items():
        print(
            f"{args.backend} {label}: µs per write transaction "
            + ", ".join(f"{name} {value:.0f}" for name, value in med.items())
            + f"; item load: load_or_none {med['load_or_none'] - med['empty']:.0f}, "
            f"reference {med['reference'] - med['empty']:.0f}"
        )


if __name__ == "__main__":
    main()
