"""Does an anonymous flood slow staff? Staff search latency alone and beside two floods.

    .venv/bin/python -m loadtests.flood --runs 3 --seconds 20

Starts its own Casetrack as deployed (gunicorn, 2 workers x 4 gthreads, the relay and
`project all`) on a free port on 127.0.0.1, with its own PostgreSQL schema (or `--store
sqlite`), Kafka topics and Elasticsearch indices, the default rate limits and
`CASETRACK_TRUSTED_PROXIES=127.0.0.1`; seeds demo data; then, in each run, for `--seconds` each:

- alone: clerks search at `--staff-rate` requests/s (5 clerks, each under its own limit);
- limited flood: the same, beside `--flood-rate` anonymous licence verifications/s from one
  address, which the limiter answers with 429 after its first 30 a minute;
- flood under the limit: the same, beside `--flood-rate` verifications/s each from an address
  of its own (an `X-Forwarded-For` the trusted proxy 127.0.0.1 passes on), so every one is
  served: a search in Elasticsearch and an access-log row each.

Requests go to 127.0.0.1 only, at fixed rates (open loop), bounded in count and time. It prints
each run's staff p50/p99, the flood's answers and the cores each part used (from /proc: the API,
relay and projectors, Elasticsearch, Kafka, PostgreSQL, this load generator, and others on the
machine), then the medians over the runs and their ratio to "alone" of the same run.
Everything it started is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from loadtests.bench.tools import host_cpu_s
from loadtests.http_probe import Api, _cleanup, free_port, wait_ready
from loadtests.limits import RAISED
from loadtests.system import ROOT, System, running_system

QUERIES = ["食品经营许可", "餐饮", "market", "许可证", "户外广告"]
SCENARIOS = ("alone", "limited flood", "flood under the limit")
FLOOD_ADDRESSES = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544: benchmarking


class CpuMeter:
    """CPU seconds used by groups of processes (each with its descendants) and by the machine,
    from /proc: where a scenario's time goes on the shared cores."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.tick = os.sysconf("SC_CLK_TCK")

    def _processes(self) -> dict[int, tuple[int, float]]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])))
        return found

    def snapshot(self) -> dict[str, float]:
        processes = self._processes()
        children: dict[int, list[int]] = {}
        for pid, (parent, _) in processes.items():
            children.setdefault(parent, []).append(pid)
        out = {}
        for name, roots in self.groups.items():
            todo, total = list(roots), 0
            while todo:
                pid = todo.pop()
                total += processes.get(pid, (0, 0))[1]
                todo.extend(children.get(pid, []))
            out[name] = total / self.tick
        own = os.times()  # this process alone: its servers are its children, counted above
        out["load generator"] = own.user + own.system
        host = host_cpu_s()  # busy: neither idle nor waiting on the disk
        out["machine"] = host["user"] + host["system"] + host["steal"]
        return out

    @staticmethod
    def cores(before: dict[str, float], after: dict[str, float], seconds: float) -> dict:
        used = {k: (after[k] - before[k]) / seconds for k in after}
        ours = sum(v for k, v in used.items() if k != "machine")
        used["others"] = max(0.0, used["machine"] - ours)
        return used


def cores_text(used: dict[str, float]) -> str:
    return "cores: " + ", ".join(f"{k} {v:.2f}" for k, v in used.items())


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    sent: int = 0
    wall_s: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def at_rate(rate: float, seconds: float, threads: int, send) -> Sample:
    """`send(i)` at `rate` per second for `seconds` (open loop: a late answer does not delay the
    next request while a sender thread is free); returns latencies and statuses."""
    sample = Sample()
    total = int(rate * seconds)
    lock = threading.Lock()
    slots = iter(range(total))
    start = time.perf_counter() + 0.05

    def sender() -> None:
        while True:
            with lock:
                i = next(slots, None)
            if i is None:
                return
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            began = time.perf_counter()
            try:
                status = send(i)
            except OSError:
                status = 0
            elapsed_ms = (time.perf_counter() - began) * 1000
            with lock:
                sample.sent += 1
                sample.latencies_ms.append(elapsed_ms)
                sample.statuses[status] += 1

    workers = [threading.Thread(target=sender, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=seconds + 120)
    sample.wall_s = time.perf_counter() - start
    return sample


def scenario(api: Api, name: str, args, clerks: list[str], addresses) -> tuple[Sample, Sample]:
    flood = Sample()
    flooding = None
    if name != "alone":
        verify = "/api/v1/licences/SCL-2026-510100-{:08d}/verify?code=000000"

        def send_flood(i: int) -> int:
            headers = None
            if name == "flood under the limit":
                headers = {"X-Forwarded-For": str(addresses())}
            return api.call("GET", verify.format(90000000 + i), headers=headers)[0]

        def run_flood() -> None:
            result = at_rate(args.flood_rate, args.seconds + 2, args.flood_threads, send_flood)
            flood.__dict__.update(result.__dict__)

        flooding = threading.Thread(target=run_flood)
        flooding.start()
        time.sleep(1)  # the flood is running when the staff start

    def search(i: int) -> int:
        path = "/api/v1/search?q=" + quote(QUERIES[i % len(QUERIES)])
        return api.call("GET", path, token=clerks[i % len(clerks)])[0]

    staff = at_rate(args.staff_rate, args.seconds, 8, search)
    if flooding is not None:
        flooding.join()
    return staff, flood


def line(run: int, name: str, staff: Sample, flood: Sample) -> str:
    text = (
        f"run {run} {name:<22} staff p50 {staff.p(0.5):7.1f} ms  p99 {staff.p(0.99):7.1f} ms  "
        f"({staff.sent} searches, {dict(staff.statuses)})"
    )
    if flood.sent:
        text += f"  flood {flood.sent / flood.wall_s:5.0f}/s answered {dict(flood.statuses)}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--staff-rate", type=float, default=20)
    parser.add_argument("--flood-rate", type=float, default=200)
    parser.add_argument("--flood-threads", type=int, default=32)
    parser.add_argument("--seed-cases", type=int, default=300)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CASETRACK_POSTGRES_URL", "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
        ),
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument(
        "--es", default=os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs here at the end")
    args = parser.parse_args()
    run_id = f"flood{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="flood-", dir=ROOT / "var"))
    store = f"sqlite:///{work / 'events.db'}"
    if args.store == "postgres":
        _schema(args.postgres, f"CREATE SCHEMA {run_id}")
        store = f"{args.postgres}?schema={run_id}"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "api.settings",
        "CASETRACK_ENV": "development",
        "CASETRACK_EVENT_STORE": store,
        "CASETRACK_CHECKPOINT_KEY": "flood-benchmark-checkpoint-key-0123456789",
        "CASETRACK_TOPIC_PREFIX": run_id,
        "CASETRACK_INDEX_PREFIX": run_id,
        "CASETRACK_KAFKA_BOOTSTRAP": args.kafka,
        "CASETRACK_ES_URL": args.es,
        "CASETRACK_PARTITIONS": "4",
        "CASETRACK_TRUSTED_PROXIES": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    for name in RAISED:  # the defaults, whatever the caller's environment raised
        env.pop(name, None)
    print(f"seeding {args.seed_cases} demo cases ({args.store}) ...", flush=True)
    try:
        with running_system(
            env=env,
            work=work,
            seed_cases=args.seed_cases,
            port=port,
            workers=args.workers,
            threads=args.threads,
        ) as system:
            _flood(args, port, system)
    finally:
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, args.keep_logs / log.name)
        _cleanup(run_id, args.kafka, args.es)
        if args.store == "postgres":
            _schema(args.postgres, f"DROP SCHEMA IF EXISTS {run_id} CASCADE")
        shutil.rmtree(work, ignore_errors=True)


def _flood(args: argparse.Namespace, port: int, system: System) -> None:
    """Every scenario, `--runs` times, against the running system on `port`."""
    api = Api(port)
    wait_ready(api, 90)
    clerks = [_token(api, f"flood-clerk-{i}") for i in range(5)]
    _wait_projected(api, clerks[0])
    counter = itertools.count(1)  # next() on a count is atomic: one address per request

    def addresses() -> ipaddress.IPv4Address:
        return FLOOD_ADDRESSES[next(counter)]

    print(
        f"gunicorn on {port}: {args.workers} workers x {args.threads} threads; staff "
        f"{args.staff_rate:.0f} searches/s, flood {args.flood_rate:.0f} verifications/s, "
        f"{args.seconds:.0f} s each, {args.runs} runs",
        flush=True,
    )
    meter = CpuMeter(
        {
            "api": [system.api.pid],
            "relay+projectors": [system.relay.pid, system.projectors.pid],
            "elasticsearch": _pids("run/elasticsearch.pid"),
            "kafka": _pids("run/kafka.pid"),
            "postgres": _pids("postgres/data/postmaster.pid"),
        }
    )
    results: dict[str, list[tuple[Sample, Sample]]] = {s: [] for s in SCENARIOS}
    cores: dict[str, list[dict[str, float]]] = {s: [] for s in SCENARIOS}
    for run in range(1, args.runs + 1):
        for name in SCENARIOS:
            before, began = meter.snapshot(), time.perf_counter()
            staff, flood = scenario(api, name, args, clerks, addresses)
            used = meter.cores(before, meter.snapshot(), time.perf_counter() - began)
            results[name].append((staff, flood))
            cores[name].append(used)
            print(line(run, name, staff, flood) + "\n      " + cores_text(used), flush=True)
            time.sleep(2)  # let queues drain between scenarios
    _summary(results, cores)


def _summary(
    results: dict[str, list[tuple[Sample, Sample]]], cores: dict[str, list[dict[str, float]]]
) -> None:
    alone = results["alone"]
    print("\nmedians over the runs (ratio: to 'alone' in the same run, then the median)")
    for name, runs in results.items():
        p50 = statistics.median(s.p(0.5) for s, _ in runs)
        p99 = statistics.median(s.p(0.99) for s, _ in runs)
        ratio = statistics.median(
            s.p(0.99) / a.p(0.99) for (s, _), (a, _) in zip(runs, alone, strict=True)
        )
        text = f"{name:<22} staff p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  p99 ratio {ratio:4.2f}"
        floods = [f for _, f in runs if f.sent]
        if floods:
            rate = statistics.median(f.sent / f.wall_s for f in floods)
            refused = statistics.median(f.statuses[429] / f.sent for f in floods)
            text += f"  flood {rate:.0f}/s, {refused:.0%} answered 429"
        used = {k: statistics.median(c[k] for c in cores[name]) for k in cores[name][0]}
        print(text + "\n      " + cores_text(used), flush=True)


def _token(api: Api, sub: str) -> str:
    claims = {"role": "clerk", "sub": sub, "department": "market-regulation"}
    status, body = api.call("POST", "/api/v1/dev/tokens", {**claims, "region_code": "510000"})
    assert status == 200, body
    return body["token"]


def _wait_projected(api: Api, clerk: str) -> None:
    """The seed is searchable once a read consistent after a new command's position says so."""
    admin = api.call("POST", "/api/v1/dev/tokens", {"role": "admin", "sub": "flood-admin"})[1]
    code = f"510100-XK-F{uuid.uuid4().hex[:5].upper()}"
    item = {
        "code": code,
        "name": "食品经营许可",
        "item_type": "administrative_licence",
        "department": "market-regulation",
        "level": "city",
        "region_code": "510100",
        "materials": [],
        "steps": ["申请"],
        "statutory_days": 20,
        "promised_days": 5,
        "fee_fen": 0,
        "licence_type": None,
        "licence_valid_days": None,
    }
    status, published = api.call("POST", "/api/v1/catalog/items", item, admin["token"])
    assert status == 201, published
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        path = f"/api/v1/search?q={code}&consistent_after={published['position']}"
        status, answer = api.call("GET", path, token=clerk)
        if status == 200 and answer.get("consistent"):
            return
        time.sleep(0.5)
    raise SystemExit("the projections did not catch up with the seed in 300 s")


def _pids(pid_file: str) -> list[int]:
    """The local stack's server from its pid file under var/ (none when it runs elsewhere)."""
    try:
        return [int((ROOT / "var" / pid_file).resolve().read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def _schema(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
