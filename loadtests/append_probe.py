"""Append throughput of single-event commits: Casetrack's ``commit()`` next to the bare
library's ``Application.save`` on the same kind of store.

    .venv/bin/python -m loadtests.append_probe --backend both --commits 500 --runs 3

Each commit creates one aggregate (one event), sequentially from one thread. Printed
figures are commits per second, the median of the runs. SQLite files are written under
``var/probe`` (a real disk, synchronous=FULL like production); PostgreSQL runs use a
fresh schema each, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from domain.application import CasetrackApplication
from domain.store.config import REPO_ROOT
from domain.store.records import IdempotencyRequest

DEFAULT_PG = "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"


class Probe(Aggregate):
    @event("Opened")
    def __init__(self, number: int) -> None:
        self.number = number


def rate(commits: int, step: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(commits):
        step(i)
    return commits / (time.perf_counter() - started)


def bare_library(env: dict[str, str], commits: int) -> float:
    app = Application(env)
    try:
        return rate(commits, lambda i: app.save(Probe(number=i)))
    finally:
        app.close()


def casetrack(env: dict[str, str], commits: int, *, full: bool) -> float:
    app = CasetrackApplication(env)
    try:
        if not full:
            return rate(commits, lambda i: app.commit(lambda tx: [Probe(number=i)]))

        def step(i: int) -> None:
            app.commit(
                lambda tx: [Probe(number=tx.next_number("P", 2026, "510100"))],
                IdempotencyRequest("probe", uuid.uuid4().hex, "h"),
                lambda aggs, pos: (201, {"id": str(aggs[0].id), "position": pos}),
            )

        return rate(commits, step)
    finally:
        app.close()


def sqlite_envs(base: Path) -> tuple[dict[str, str], dict[str, str]]:
    run = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    library = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(run / "lib.db")}
    ours = {"CASETRACK_EVENT_STORE": f"sqlite:///{run / 'casetrack.db'}"}
    return library, ours


def postgres_envs(url: str, schema: str) -> tuple[dict[str, str], dict[str, str]]:
    parts = psycopg.conninfo.conninfo_to_dict(url)
    library = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts["dbname"],
        "POSTGRES_HOST": parts.get("host", "127.0.0.1"),
        "POSTGRES_PORT": str(parts.get("port", 5432)),
        "POSTGRES_USER": parts["user"],
        "POSTGRES_PASSWORD": parts.get("password", ""),
        "POSTGRES_SCHEMA": schema,
    }
    ours = {"CASETRACK_EVENT_STORE": f"{url}?schema={schema}", "CASETRACK_CHECKPOINT_KEY": "probe"}
    return library, ours


def measure(
    label: str,
    make_envs: Callable[[], tuple[dict, dict]],
    commits: int,
    runs: int,
    cleanup: Callable[[], None],
) -> None:
    results: dict[str, list[float]] = {"library save": [], "commit": [], "commit+counter+key": []}
    for _ in range(runs):
        library_env, ours = make_envs()
        try:
            results["library save"].append(bare_library(library_env, commits))
            results["commit"].append(casetrack(ours, commits, full=False))
            results["commit+counter+key"].append(casetrack(ours, commits, full=True))
        finally:
            cleanup()
    for name, values in results.items():
        print(
            f"{label:<10} {name:<20} {statistics.median(values):>8.0f} commits/s "
            f"(runs: {', '.join(f'{v:.0f}' for v in values)}; {commits} commits each)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CASETRACK_POSTGRES_URL", DEFAULT_PG)
    )
    args = parser.parse_args()

    if args.backend in ("sqlite", "both"):
        base = REPO_ROOT / "var" / "probe"
        base.mkdir(parents=True, exist_ok=True)
        measure(
            "sqlite",
            lambda: sqlite_envs(base),
            args.commits,
            args.runs,
            lambda: shutil.rmtree(base, ignore_errors=True) or base.mkdir(parents=True),
        )
        shutil.rmtree(base, ignore_errors=True)

    if args.backend in ("postgres", "both"):
        schemas: list[str] = []

        def make() -> tuple[dict, dict]:
            schemas.append(f"probe_{uuid.uuid4().hex[:10]}")
            with psycopg.connect(args.postgres_url, autocommit=True) as c:
                c.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schemas[-1])))
            return postgres_envs(args.postgres_url, schemas[-1])

        def drop() -> None:
            with psycopg.connect(args.postgres_url, autocommit=True) as c:
                c.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schemas[-1]))
                )

        measure("postgres", make, args.commits, args.runs, drop)


if __name__ == "__main__":
    main()
