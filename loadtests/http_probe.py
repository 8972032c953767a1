"""Requests/s and p50/p99 latency of a case submission and of a search, over HTTP.

    .venv/bin/python -m loadtests.http_probe --requests 500 --submit-concurrency 1 --concurrency 4 --seed-cases 100

Starts its own Casetrack the way `make run` does (gunicorn, `--workers 2 --threads 4
--worker-class gthread`, plus `manage.py relay` and `manage.py project all`) on a free port
(never 8000), with a temporary SQLite event store and its own Kafka topic and Elasticsearch
index prefix on the local stack, so it disturbs nothing else; seeds demo data
(`manage.py seed_demo`) so searches have something to find; then runs a bounded number of
requests per scenario from `--concurrency` client threads (one keep-alive connection each)
and prints one line per scenario. Everything it started is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import orjson

from domain.identifiers import make_resident_id
from loadtests.system import ROOT, running_system


@dataclass
class Result:
    name: str
    latencies_ms: list[float]
    errors: dict[int, int]
    wall_s: float

    def line(self) -> str:
        ordered = sorted(self.latencies_ms)
        p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
        return (
            f"{self.name:<18} {len(ordered):>6} req  {len(ordered) / self.wall_s:>8.1f} req/s  "
            f"p50 {p(0.50):>7.1f} ms  p99 {p(0.99):>7.1f} ms  max {ordered[-1]:>7.1f} ms  "
            f"mean {statistics.fmean(ordered):>7.1f} ms  non-2xx {sum(self.errors.values())} {self.errors or ''}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        if not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.conn

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn = self._conn()
        try:
            conn.request(
                method, path, body=orjson.dumps(body) if body is not None else None, headers=headers
            )
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            del self.local.conn
            raise
        try:
            return response.status, (orjson.loads(data) if data else {})
        except (
            orjson.JSONDecodeError
        ):  # not our problem+json: gunicorn's or Django's own error page
            return response.status, {"raw": data[:200].decode(errors="replace")}


def run(name: str, total: int, concurrency: int, request: Callable[[int], int]) -> Result:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                status = request(i)
            except (OSError, http.client.HTTPException) as exc:
                status = 0
                print(f"{name}: request {i} failed: {exc!r}", file=sys.stderr)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not 200 <= status < 300:
                    errors[status] = errors.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(name, latencies, errors, time.perf_counter() - started)


def wait_ready(api: Api, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if api.call("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads for the search")
    parser.add_argument(
        "--submit-concurrency",
        type=int,
        default=None,
        help="client threads for the submissions (default: --concurrency)",
    )
    parser.add_argument("--seed-cases", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--kafka", default=os.environ.get("CASETRACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument(
        "--keep-logs", type=Path, help="copy the servers' logs into this folder at the end"
    )
    parser.add_argument(
        "--es", default=os.environ.get("CASETRACK_ES_URL", "http://127.0.0.1:19200")
    )
    args = parser.parse_args()

    from loadtests.limits import RAISED

    work = Path(
        tempfile.mkdtemp(
            prefix="http-probe-", dir=ROOT / "var" if (ROOT / "var").is_dir() else None
        )
    )
    prefix = f"probe-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "api.settings",
        "CASETRACK_ENV": "development",
        "CASETRACK_EVENT_STORE": f"sqlite:///{work / 'events.db'}",
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_INDEX_PREFIX": prefix,
        "CASETRACK_KAFKA_BOOTSTRAP": args.kafka,
        "CASETRACK_ES_URL": args.es,
        "CASETRACK_PARTITIONS": "4",
        "PYTHONUNBUFFERED": "1",
        **RAISED,  # the probe measures the API, not its rate limits
    }
    print(f"seeding {args.seed_cases} demo cases into {work} ...", flush=True)
    try:
        with running_system(
            env=env,
            work=work,
            seed_cases=args.seed_cases,
            port=port,
            workers=args.workers,
            threads=args.threads,
        ):
            _probe(args, port)
    finally:
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, args.keep_logs / log.name)
        _cleanup(prefix, args.kafka, args.es)
        shutil.rmtree(work, ignore_errors=True)


def _probe(args: argparse.Namespace, port: int) -> None:
    """The scenarios against the running system on `port`."""
    api = Api(port)
    wait_ready(api, 60)

    def token(**claims) -> str:
        status, body = api.call("POST", "/api/v1/dev/tokens", claims)
        assert status == 200, body
        return body["token"]

    citizen_id = make_resident_id("510104", date(1991, 3, 3), 777)
    admin = token(role="admin", sub="probe-admin")
    citizen = token(role="citizen", sub=citizen_id, party_id=citizen_id)
    clerk = token(
        role="clerk", sub="probe-clerk", department="market-regulation", region_code="510000"
    )
    code = f"510100-XK-P{uuid.uuid4().hex[:5].upper()}"
    status, published = api.call(
        "POST",
        "/api/v1/catalog/items",
        {
            "code": code,
            "name": "食品经营许可",
            "item_type": "administrative_licence",
            "department": "market-regulation",
            "level": "city",
            "region_code": "510100",
            "conditions": "场所",
            "materials": [{"code": "LICENCE", "name": "营业执照", "required": True}],
            "steps": ["申请", "受理"],
            "statutory_days": 20,
            "promised_days": 5,
            "fee_fen": 0,
            "legal_basis": "《食品安全法》",
            "licence_type": None,
            "licence_valid_days": None,
        },
        admin,
    )
    assert status == 201, published
    # The projections have caught up with the seed when a consistent read of the last position says so.
    deadline = time.monotonic() + 300
    while True:
        status, listed = api.call(
            "GET", f"/api/v1/catalog/items?q={code}&consistent_after={published['position']}"
        )
        if status == 200 and listed.get("consistent"):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"projections did not catch up: {status} {listed}")
    status, warm = api.call("GET", "/api/v1/search?q=%E9%A3%9F%E5%93%81", token=clerk)
    submitters = args.submit_concurrency or args.concurrency
    print(
        f"search warm-up: {status}, {warm.get('total')} hits; gunicorn on port {port}, "
        f"{args.workers} workers x {args.threads} threads; {submitters} client threads "
        f"submitting, {args.concurrency} searching",
        flush=True,
    )

    submission = {
        "item_code": code,
        "applicant": {"party_id": citizen_id, "kind": "person", "name": "王小明"},
        "channel": "web",
        "materials": [{"code": "LICENCE", "document_ref": "doc"}],
        "form": {},
    }
    submit = run(
        "case submission",
        args.requests,
        args.submit_concurrency or args.concurrency,
        lambda i: api.call("POST", "/api/v1/cases", submission, citizen)[0],
    )
    queries = ["食品经营许可", "餐饮", "market", "许可证", "户外广告"]
    search = run(
        "search",
        args.requests,
        args.concurrency,
        lambda i: api.call(
            "GET", "/api/v1/search?q=" + quote(queries[i % len(queries)]), token=clerk
        )[0],
    )
    for result in (submit, search):
        print(result.line(), flush=True)


def _cleanup(prefix: str, kafka: str, es: str) -> None:
    from loadtests.cleanup import remove_named

    ours = lambda name: name.startswith((f"{prefix}-", f"{prefix}."))  # noqa: E731
    for problem in remove_named(ours, kafka=kafka, es=es):
        print(f"clean-up of {prefix} incomplete: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
