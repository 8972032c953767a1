"""The cluster next to a single node, in one run: relay and rebuild throughput with one and
two projector processes, freshness p99 at a command rate, search p99 at a request rate, and
on the cluster the time from a node's death (broker, Elasticsearch node, projector process)
to the first successful operation after it (docs/operations.md has the figures).

    python -m loadtests.cluster_bench [--days 150] [--rate 200] [--search-rate 50]

Each stack is started here and stopped at the end if this run started it: the cluster by
docker/local/cluster.sh, the single node by docker/local/stack.sh on ports of this bench's
own (39092, 39400: never the shared stack's). Same store size, same load, one after the other.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from uuid import uuid4

import orjson

ROOT = Path(__file__).resolve().parents[1]
SINGLE_PORTS = {
    "CASETRACK_KAFKA_PORT": "39092",
    "CASETRACK_KAFKA_CONTROLLER_PORT": "39093",
    "CASETRACK_ES_PORT": "39400",
}
PARTITIONS = 12
PROJECTIONS = ("cases", "payments", "licences", "catalog", "violations")


def _settings(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if line.startswith("CASETRACK_"))


def _nodes(output: str) -> dict[str, int]:
    return {
        line.split()[1]: int(line.split()[2])
        for line in output.splitlines()
        if line.startswith("NODE ")
    }


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=900
    ).stdout


class Stack:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.marker = ROOT / "var" / "run" / f"bench-started.{os.getpid()}.{kind}"
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.env_base = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "CASETRACK_KAFKA_BOOTSTRAP",
                "CASETRACK_ES_URL",
                "CASETRACK_POSTGRES_URL",
                "CASETRACK_REDIS_URL",
            )
        }
        self.settings: dict[str, str] = {}
        self.nodes: dict[str, int] = {}

    def up(self) -> None:
        if self.kind == "cluster":
            out = _run(
                ["bash", "docker/local/cluster.sh", "up", "--started-file", str(self.marker)]
            )
            self.nodes = _nodes(out)
        else:
            out = _run(
                [
                    "bash",
                    "docker/local/stack.sh",
                    "up",
                    "--started-file",
                    str(self.marker),
                    "kafka",
                    "elasticsearch",
                ],
                env={**self.env_base, **SINGLE_PORTS},
            )
        self.settings = {
            k: v
            for k, v in _settings(out).items()
            if k in ("CASETRACK_KAFKA_BOOTSTRAP", "CASETRACK_ES_URL")
        }

    def down(self) -> None:
        if self.kind == "cluster":
            if self.marker.exists() and self.marker.read_text().strip() == "cluster":
                _run(["bash", "docker/local/cluster.sh", "down"])
            self.marker.unlink(missing_ok=True)
        else:
            _run(
                ["bash", "docker/local/stack.sh", "down", "--only-file", str(self.marker)],
                env={**self.env_base, **SINGLE_PORTS},
            )


class World:
    """A store, a topic prefix and an index prefix of their own on one stack."""

    def __init__(self, stack: Stack, work: Path) -> None:
        from domain.services import Casetrack
        from search.client import make_client
        from search.indices import Names
        from search.store import ReadModels

        self.stack = stack
        self.work = work
        self.prefix = f"bench-cluster-{uuid4().hex[:8]}"
        self.env = {
            **stack.env_base,
            **stack.settings,
            "CASETRACK_EVENT_STORE": f"sqlite:///{work / 'events.db'}",
            "CASETRACK_TOPIC_PREFIX": self.prefix,
            "CASETRACK_INDEX_PREFIX": self.prefix,
            "CASETRACK_PARTITIONS": str(PARTITIONS),
            "PYTHONUNBUFFERED": "1",
        }
        self.app = Casetrack(env=self.env)
        self.es = make_client(stack.settings["CASETRACK_ES_URL"], timeout_s=60)
        self.read_models = ReadModels(self.es, Names(self.prefix))
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, log: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.work / f"{log}.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def watermark(self) -> int:
        try:
            return min(self.read_models.watermark(p, PARTITIONS) for p in PROJECTIONS)
        except Exception:  # an index or checkpoint not made yet, or a node failing over
            return 0

    def progress(self, head: int) -> float:
        """The share of the log applied: checkpoints' positions over `head`, averaged over every
        (projection, partition); events spread evenly over partitions, so it grows with them."""
        shares = []
        for p in PROJECTIONS:
            try:
                shares += [
                    min(v, head) / head
                    for v in self.read_models.checkpoints(p, PARTITIONS).values()
                ]
            except Exception:  # not made yet
                shares += [0.0] * PARTITIONS
        return sum(shares) / len(shares)

    def published(self) -> int:
        from consumers.relay import Relay

        relay = Relay(
            read_log=None,
            bootstrap=self.stack.settings["CASETRACK_KAFKA_BOOTSTRAP"],
            topic=f"{self.prefix}.events",
            encode=lambda e: e,
        )
        try:
            return relay.resume_position()
        except Exception:
            return 0

    def reset_projections(self) -> None:
        """Forget what the projectors did: their groups and indices (a rebuild from offset 0)."""
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.stack.settings["CASETRACK_KAFKA_BOOTSTRAP"])
        try:
            groups = [g["group_id"] for g in admin.list_groups()]
            ours = [g for g in groups if g.startswith(f"{self.prefix}.")]
            if ours:
                admin.delete_groups(ours)
        finally:
            admin.close()
        for index in self.es.indices.get(index=f"{self.prefix}-*", expand_wildcards="all"):
            self.es.indices.delete(index=index)

    def close(self) -> None:
        for process in self.processes:
            self.stop(process, signal.SIGKILL)
        from loadtests.cleanup import remove_named

        remove_named(
            lambda name: self.prefix in name,
            kafka=self.stack.settings["CASETRACK_KAFKA_BOOTSTRAP"],
            es=self.stack.settings["CASETRACK_ES_URL"],
        )
        self.app.close()


def _wait(condition, timeout_s: float, what: str, interval_s: float = 0.25) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{what}: not within {timeout_s} s")
        time.sleep(interval_s)
    return time.monotonic() - started


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def seed(world: World, days: int) -> int:
    from loadtests.scenarios import run_full_day

    for i in range(days):
        run_full_day(world.app, suffix=f"{i:04d}")
    return world.app.max_position()


def measure_pipeline(world: World, events: int, head: int) -> dict:
    """Throughput from the first progress to the end (a process's start, Django's set-up and a
    group's first join are reported apart, as `*_start_s`)."""
    out: dict = {"events": events}
    started = time.monotonic()
    world.start("relay", log="relay")
    out["relay_start_s"] = round(_wait(lambda: world.published() > 0, 300, "relay start"), 1)
    first = world.published()
    moving = time.monotonic()
    _wait(lambda: world.published() >= head, 900, "relay")
    # None when the first marker already covered the whole store (a store that small is
    # published between two samples: only the wall time says anything then).
    out["relay_events_s"] = (
        round((head - first) / (time.monotonic() - moving) * events / head)
        if first < head
        else None
    )
    out["relay_total_s"] = round(time.monotonic() - started, 1)
    print(f"{world.stack.kind}: relay {out}", flush=True)
    for count in (1, 2):
        world.reset_projections()
        started = time.monotonic()
        projectors = [
            world.start("project", "all", log=f"project-{count}-{i}") for i in range(count)
        ]
        out[f"rebuild_{count}_start_s"] = round(
            _wait(lambda: world.progress(head) > 0, 300, "first projected batch"), 1
        )
        moving, first = time.monotonic(), world.progress(head)
        _wait(lambda: world.watermark() >= head, 1800, f"rebuild with {count}")
        out[f"rebuild_{count}_events_s"] = round(events * (1 - first) / (time.monotonic() - moving))
        out[f"rebuild_{count}_total_s"] = round(time.monotonic() - started, 1)
        print(f"{world.stack.kind}: rebuild x{count} {out}", flush=True)
        if count == 1:
            for p in projectors:
                world.stop(p)
    return out


def measure_freshness(world: World, rate: float, seconds: float) -> dict:
    """Commands at `rate` a second (catalogue publications, one event each); freshness is the
    time from a command's answer to its position being searchable in every read model."""
    from loadtests.bench.config import ADMIN
    from loadtests.scenarios import item_terms

    pending: list[tuple[float, int]] = []
    latencies: list[float] = []
    lock = threading.Lock()
    done = threading.Event()

    def watch() -> None:
        while not (done.is_set() and not pending):
            mark = world.watermark()
            now = time.monotonic()
            with lock:
                while pending and pending[0][1] <= mark:
                    latencies.append(now - pending.pop(0)[0])
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started, sent = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        due = started + sent / rate
        if time.monotonic() < due:
            time.sleep(due - time.monotonic())
        body = world.app.publish_item(
            code=f"510100-BX-{uuid4().hex[:6].upper()}", actor=ADMIN, **item_terms()
        ).body
        with lock:
            pending.append((time.monotonic(), body["position"]))
        sent += 1
    achieved = sent / (time.monotonic() - started)
    done.set()
    watcher.join(timeout=120)
    return {
        "fresh_rate_asked": rate,
        "fresh_rate_achieved": round(achieved, 1),
        "fresh_p50_ms": round(_p(latencies, 0.5) * 1000),
        "fresh_p99_ms": round(_p(latencies, 0.99) * 1000),
    }


def measure_search(world: World, rate: float, seconds: float) -> dict:
    """Open loop: a search is sent every 1/`rate` s whatever the previous ones take (a pool of
    threads; one thread in a loop caps the rate at 1/latency and hides the queueing)."""
    from concurrent.futures import ThreadPoolExecutor

    alias = world.read_models.names.alias("cases")
    latencies: list[float] = []
    failures = 0

    def one(due: float) -> None:  # latency from when it was due: a queued search counts
        nonlocal failures
        try:
            world.es.search(index=alias, query={"match": {"title": "许可"}}, size=20)
            latencies.append(time.monotonic() - due)
        except Exception:
            failures += 1

    started, sent = time.monotonic(), 0
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="search") as pool:
        while time.monotonic() - started < seconds:
            due = started + sent / rate
            if time.monotonic() < due:
                time.sleep(due - time.monotonic())
            pool.submit(one, due)
            sent += 1
        achieved = sent / (time.monotonic() - started)
    return {
        "search_rate_asked": rate,
        "search_rate_achieved": round(achieved, 1),
        "search_p50_ms": round(_p(latencies, 0.5) * 1000, 1),
        "search_p99_ms": round(_p(latencies, 0.99) * 1000, 1),
        "search_failures": failures,
    }


def measure_failover(world: World, stack: Stack, projectors_alive: list) -> dict:
    """Seconds from a node's death (SIGKILL) to the first operation that succeeds after it."""
    from kafka import KafkaAdminClient, KafkaProducer

    out: dict = {}
    from consumers.kafka_admin import ensure_topic

    bootstrap = stack.settings["CASETRACK_KAFKA_BOOTSTRAP"]
    topic = f"{world.prefix}.probe"  # a topic of its own: the projectors never see the probes
    ensure_topic(bootstrap, topic, partitions=1)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    (described,) = admin.describe_topics([topic])
    admin.close()
    leader = next(p["leader_id"] for p in described["partitions"] if p["partition_index"] == 0)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=30_000,
        delivery_timeout_ms=120_000,
    )
    producer.send(topic, partition=0, value=b"{}", headers=[("casetrack_probe", b"1")]).get(30)
    os.kill(stack.nodes[f"kafka-{leader}"], signal.SIGKILL)
    died = time.monotonic()
    producer.send(topic, partition=0, value=b"{}", headers=[("casetrack_probe", b"1")]).get(120)
    out["broker_first_ack_s"] = round(time.monotonic() - died, 2)
    producer.close()

    index = world.read_models.current_index("cases")
    shards = world.es.cat.shards(index=index, format="json", h="prirep,node,state")
    victim = next(s["node"] for s in shards if s["prirep"] == "p" and s["state"] == "STARTED")
    alias = world.read_models.names.alias("cases")
    os.kill(stack.nodes[victim], signal.SIGKILL)
    died = time.monotonic()
    world.es.search(index=alias, query={"match_all": {}}, size=1)
    out["es_first_search_s"] = round(time.monotonic() - died, 2)
    world.es.index(index=f"{world.prefix}-probe", id="1", document={"at": time.time()})
    out["es_first_write_s"] = round(time.monotonic() - died, 2)

    from loadtests.bench.config import ADMIN
    from loadtests.scenarios import item_terms

    victim_process = projectors_alive[0]
    world.stop(victim_process, signal.SIGKILL)
    died = time.monotonic()
    position = world.app.publish_item(
        code=f"510100-BX-{uuid4().hex[:6].upper()}", actor=ADMIN, **item_terms()
    ).body["position"]
    _wait(lambda: world.watermark() >= position, 300, "the surviving projector", 0.1)
    out["projector_first_projected_s"] = round(time.monotonic() - died, 2)
    _run(["bash", "docker/local/cluster.sh", "up"])  # bring the nodes back
    return out


def bench(kind: str, args: argparse.Namespace) -> dict:
    stack = Stack(kind)
    stack.up()
    try:
        with tempfile.TemporaryDirectory(prefix=f"cluster-bench-{kind}-") as work:
            world = World(stack, Path(work))
            try:
                t = time.monotonic()
                head = seed(world, args.days)
                events = len(world.app.read_log(0, 10**7))
                results = {"stack": kind, "seed_s": round(time.monotonic() - t, 1)}
                pipeline = measure_pipeline(world, events, head)
                results |= pipeline
                results |= measure_freshness(world, args.rate, args.seconds)
                results |= measure_search(world, args.search_rate, args.seconds)
                if kind == "cluster":
                    alive = [
                        p
                        for p in world.processes
                        if p.args[2:4] == ["project", "all"] and p.poll() is None
                    ]
                    results |= measure_failover(world, stack, alive)
                return results
            finally:
                world.close()
    finally:
        stack.down()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.cluster_bench")
    parser.add_argument("--days", type=int, default=150, help="full days seeded (49 events each)")
    parser.add_argument("--rate", type=float, default=200, help="commands/s for freshness")
    parser.add_argument("--search-rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--stacks", nargs="+", default=["single", "cluster"])
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")
    results = []
    for kind in args.stacks:
        results.append(bench(kind, args))
        print(orjson.dumps(results[-1]).decode(), flush=True)
    out = ROOT / "loadtests" / "results" / "cluster_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
