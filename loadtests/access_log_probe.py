"""The access log under a flood, without HTTP: does one caller's append wait behind others'?

    .venv/bin/python -m loadtests.access_log_probe --runs 3 --seconds 10

Every search and every licence verification appends an access-log entry before it is answered
(docs/design.md, guarantee 9); on PostgreSQL each append transaction holds the table's exclusive
lock until its commit. Here "staff" threads append at `--staff-rate` per second and measure each
append, alone and beside "flood" threads appending at `--flood-rate` per second (open loop), on a
fresh PostgreSQL schema, with one transaction per entry (`MAX_BATCH=1`, as before group commit)
and with group commit (`MAX_BATCH=200`). Prints each run, then medians over the runs. The schema
is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid

import psycopg

from domain.application import CasetrackApplication
from domain.store import access_log
from loadtests.flood import at_rate

DEFAULT_PG = "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
MODES = {"one transaction per entry": 1, "group commit": 200}


def append(store, i: int, role: str) -> int:
    access_log.append_access(
        store,
        role=role,
        sub="anonymous" if role == "public" else f"clerk-{i % 5}",
        endpoint="GET /api/v1/licences/SCL-2026-510100-90000000/verify",
        record_ids=[f"SCL-2026-510100-{90000000 + i:08d}"],
        query=f"SCL-2026-510100-{90000000 + i:08d}",
    )
    return 200


def measure(store, args, flood: bool):
    flooding = None
    flood_sample = None
    if flood:

        def run_flood() -> None:
            nonlocal flood_sample
            flood_sample = at_rate(
                args.flood_rate, args.seconds + 1, 16, lambda i: append(store, i, "public")
            )

        flooding = threading.Thread(target=run_flood)
        flooding.start()
        time.sleep(0.5)
    staff = at_rate(args.staff_rate, args.seconds, 4, lambda i: append(store, i, "clerk"))
    if flooding is not None:
        flooding.join()
    return staff, flood_sample


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--staff-rate", type=float, default=20)
    parser.add_argument("--flood-rate", type=float, default=200)
    parser.add_argument("--postgres", default=os.environ.get("CASETRACK_POSTGRES_URL", DEFAULT_PG))
    args = parser.parse_args()
    schema = f"alprobe{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    app = CasetrackApplication(
        {
            "CASETRACK_EVENT_STORE": f"{args.postgres}?schema={schema}",
            "CASETRACK_CHECKPOINT_KEY": "access-log-probe-checkpoint-key-0123456789",
        }
    )
    results: dict[tuple[str, bool], list] = {}
    try:
        append(app.store, 0, "clerk")
        for run in range(1, args.runs + 1):
            for mode, batch in MODES.items():
                access_log.MAX_BATCH = batch
                for flood in (False, True):
                    staff, flooded = measure(app.store, args, flood)
                    results.setdefault((mode, flood), []).append((staff, flooded))
                    text = (
                        f"run {run} {mode:<26} {'beside the flood' if flood else 'alone':<17}"
                        f"staff append p50 {staff.p(0.5):6.1f} ms  p99 {staff.p(0.99):6.1f} ms"
                    )
                    if flooded:
                        text += f"  flood {flooded.sent / flooded.wall_s:4.0f}/s achieved"
                    print(text, flush=True)
        print("\nmedians over the runs")
        for (mode, flood), runs in results.items():
            p50 = statistics.median(s.p(0.5) for s, _ in runs)
            p99 = statistics.median(s.p(0.99) for s, _ in runs)
            text = f"{mode:<26} {'beside the flood' if flood else 'alone':<17}"
            text += f"staff append p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            if flood:
                rate = statistics.median(f.sent / f.wall_s for _, f in runs)
                text += f"  flood {rate:4.0f}/s achieved"
            print(text, flush=True)
    finally:
        access_log.MAX_BATCH = 200
        app.close()
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
