"""Cost of a signed checkpoint after k streams changed, on a store of N streams: the bucket
tree (only the written buckets recomputed) next to the former full pass over every stream
head (heads-v1), on the same store in the same run.

    .venv/bin/python -m loadtests.checkpoint_probe --backend sqlite --streams 200000 1000000

N streams of one small event each are loaded with SQL (valid chained hashes, not through the
domain code); then the first checkpoint (a full pass that fills the bucket table) is timed
once, and for each k (0, 100, 10000) and each run, k streams get one more event through the
store's append path and a checkpoint is timed beside the old full pass. Figures are seconds,
medians of the runs. SQLite files are written under ``var/probe``; PostgreSQL uses a fresh
schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from domain.application import CasetrackApplication
from domain.store.config import REPO_ROOT
from domain.store.hashing import (
    HashAlgorithm,
    buckets_of,
    event_hash,
    nodes_of,
    root_hash,
)
from loadtests.bench.checkpoint import old_full_pass
from loadtests.bench.tools import timed

DEFAULT_PG = "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
TOPIC = "loadtests.checkpoint_probe:Probe.Opened"
STATE = b'{"n":1}'


def rows(ids: list[uuid.UUID]) -> Iterator[tuple[uuid.UUID, str]]:
    algorithm = HashAlgorithm()
    for i in ids:
        digest = event_hash(
            algorithm,
            prev_hash=None,
            originator_id=i,
            originator_version=1,
            topic=TOPIC,
            state=STATE,
        )
        yield i, digest


def load_sqlite(path: Path, ids: list[uuid.UUID]) -> None:
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state, "
            "prev_hash, hash) VALUES (?, 1, ?, ?, NULL, ?)",
            ((i.hex, TOPIC, STATE, h) for i, h in rows(ids)),
        )


def load_postgres(url: str, schema: str, ids: list[uuid.UUID]) -> None:
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        table = sql.Identifier(schema, "casetrack_events")
        copy = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state, prev_hash, hash) FROM STDIN"
        ).format(table)
        with cursor.copy(copy) as writer:
            for i, h in rows(ids):
                writer.write_row((i, 1, TOPIC, STATE, None, h))
        cursor.execute(sql.SQL("ANALYZE {}").format(table))


def change(app: CasetrackApplication, ids: list[uuid.UUID], k: int) -> None:
    """One more event on k streams, through the store's append path (chained)."""
    if not k:
        return
    chosen = random.sample(ids, k)
    with app.store.read_cursor() as cursor:
        versions = {i: head[0] for i, head in app.store._stored_heads(cursor, chosen).items()}
    for start in range(0, k, 1000):
        app.store.insert_events(
            [StoredEvent(i, versions[i] + 1, TOPIC, STATE) for i in chosen[start : start + 1000]]
        )


def probe(env: dict[str, str], load: Callable[[list[uuid.UUID]], None], n: int, args) -> dict:
    app = CasetrackApplication(env)
    try:
        ids = [uuid.uuid4() for _ in range(n)]
        load_s = timed(lambda: load(ids))
        first_s = timed(app.write_checkpoint)
        result: dict[str, Any] = {"load_s": load_s, "first_s": first_s, "k": {}}
        for k in args.changed:
            new, old = [], []
            for _ in range(args.runs):
                change(app, ids, k)
                old.append(timed(lambda: old_full_pass(app)))
                new.append(timed(app.write_checkpoint))
            result["k"][k] = (statistics.median(new), statistics.median(old))
        result["check_s"] = timed(lambda: assert_from_scratch(app))
        return result
    finally:
        app.close()


def assert_from_scratch(app: CasetrackApplication) -> None:
    """The last incremental checkpoint signed the root a full pass computes."""
    store, algorithm = app.store, app.store.hash_algorithm
    checkpoint = store.latest_checkpoint()
    with store.snapshot_cursor() as cursor:
        buckets = buckets_of(algorithm, store.heads_at(cursor, checkpoint.position))
        assert root_hash(algorithm, nodes_of(algorithm, buckets)) == checkpoint.heads_hash


def run_sqlite(n: int, args) -> dict:
    base = REPO_ROOT / "var" / "probe"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="checkpoint-", dir=base))
    try:
        path = folder / "events.db"
        env = {"CASETRACK_EVENT_STORE": f"sqlite:///{path}"}
        return probe(env, lambda ids: load_sqlite(path, ids), n, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_postgres(n: int, args) -> dict:
    url = os.environ.get("CASETRACK_POSTGRES_URL", DEFAULT_PG)
    schema = f"ct_probe_{uuid.uuid4().hex[:10]}"
    env = {"CASETRACK_EVENT_STORE": f"{url}?schema={schema}"}
    try:
        return probe(env, lambda ids: load_postgres(url, schema, ids), n, args)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--streams", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--changed", type=int, nargs="+", default=[0, 100, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    run = run_sqlite if args.backend == "sqlite" else run_postgres
    print(f"backend {args.backend}, load average {os.getloadavg()[0]:.1f}", flush=True)
    print("| N streams | k changed | bucket tree s | old full pass s | ratio old/new |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in args.streams:
        result = run(n, args)
        for k, (new, old) in result["k"].items():
            print(f"| {n:,} | {k:,} | {new:.3f} | {old:.3f} | {old / new:.0f}x |", flush=True)
        print(
            f"N={n:,}: load {result['load_s']:.1f} s, first checkpoint (full pass, fills the "
            f"table) {result['first_s']:.2f} s, check against a full pass {result['check_s']:.1f} s, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
