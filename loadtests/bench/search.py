"""Stage 6, search: p50/p99 of find-any-result queries at rising request rates, open loop.

The query mix (``QueryMix``) draws from 500 of the run's cases: identifiers, Chinese names and
item names, Latin typos, filtered and faceted queries, each built by
``search.queries.search_request`` under a role's scope. One step runs in the state the earlier
stages leave; then, merges settled and caches warm, the rates rise until p99 passes 100 ms.
"""

from __future__ import annotations

import gc
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.context import RunContext
from loadtests.bench.processes import local_server_pid
from loadtests.bench.tools import (
    host_cpu_s,
    host_disk_mib,
    jit_cpu_s,
    median,
    node_cpu_s,
    percentile,
)
from search.queries import SEARCH_TYPES, BlindTerms, Scope, SearchRequest, search_request
from search.store import find

KINDS = ["identifier", "chinese_name", "chinese_item", "latin_typo", "filtered", "faceted"]


@dataclass
class QueryMix:
    samples: list[dict]
    items: list[dict]
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def next(self) -> tuple[str, SearchRequest]:
        """(kind, search requests) of the next query."""
        doc = self.rng.choice(self.samples)
        kind = self.rng.choice(KINDS)
        return kind, getattr(self, f"_{kind}")(doc)

    def _scopes(self, doc: dict) -> tuple[Scope, Scope, Scope]:
        """(analyst, citizen, clerk) scopes that may see `doc`."""
        return (
            Scope(role="analyst", sub="bench-analyst"),
            Scope(role="citizen", sub="bench-citizen", party_ref=doc["applicant"].get("party_ref")),
            Scope(
                role="clerk",
                sub="bench-clerk",
                department=doc["department"],
                region_code=doc["region_code"],
            ),
        )

    def _identifier(self, doc: dict) -> SearchRequest:
        analyst, citizen, _ = self._scopes(doc)
        return search_request(q=doc["case_number"], scope=self.rng.choice([analyst, citizen]))

    def _chinese_name(self, doc: dict) -> SearchRequest:
        # A full name: its blind ref as the API computes it, beside the text clauses of a name
        # (the document holds the name sealed, so any name of that shape costs the same).
        analyst, _, clerk = self._scopes(doc)
        return search_request(
            q="王小明",
            scope=self.rng.choice([analyst, clerk]),
            blind=BlindTerms(name_ref=doc["applicant"].get("name_ref")),
        )

    def _chinese_item(self, doc: dict) -> SearchRequest:
        name = doc.get("item_name") or "许可"
        return search_request(q=name[: max(2, len(name) // 2)], scope=self._scopes(doc)[2])

    def _latin_typo(self, doc: dict) -> SearchRequest:
        code = self.rng.choice(self.items)["code"]
        typo = code[:-1] + ("X" if code[-1] != "X" else "Y")
        return search_request(
            q=self.rng.choice([typo, "licnese", "permt market"]), scope=self._scopes(doc)[0]
        )

    def _filtered(self, doc: dict) -> SearchRequest:
        return search_request(
            q=None,
            scope=self._scopes(doc)[2],
            types=["case"],
            status=self.rng.choice(["submitted", "accepted", "approved", "rejected"]),
            department=doc["department"],
        )

    def _faceted(self, doc: dict) -> SearchRequest:
        return search_request(
            q=None, scope=self._scopes(doc)[0], date_from="2025-03-01", date_to="2025-09-30"
        )


def sample_mix(client, cases_alias: str, items: list[dict]) -> QueryMix:
    """The query mix over 500 cases drawn at random (a fixed seed) from the cases index."""
    sample = client.search(
        index=cases_alias,
        size=500,
        _source=["case_number", "applicant", "department", "region_code", "item_name"],
        query={"function_score": {"random_score": {"seed": 7, "field": "_seq_no"}}},
    )
    return QueryMix(samples=[h["_source"] for h in sample["hits"]["hits"]], items=items)


# Runs one query of the mix; answers Elasticsearch's `took` in ms.
Execute = Callable[[Any, str, SearchRequest], float]


def as_the_api(client, index: str, request: SearchRequest) -> float:
    """As `GET /search` runs it: the page and the facets in one multi-search
    (`search.store.find`); the two run side by side, so the slower one's `took` counts."""
    page, facets = find(client, index, request)
    return float(max(page["took"], facets["took"]))


def warm(
    client, index: str, mix: QueryMix, queries: int = 200, execute: Execute = as_the_api
) -> None:
    """Caches (global ordinals, the query cache) as a running system has them."""
    for _ in range(queries):
        execute(client, index, mix.next()[1])


class Timings:
    """Latencies of one step, overall and by query kind, with Elasticsearch's own `took`."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.took: dict[str, list[float]] = {}
        self.errors = 0
        self.lock = threading.Lock()

    def search(
        self,
        client,
        index: str,
        kind_request: tuple[str, SearchRequest],
        due: float,
        execute: Execute = as_the_api,
    ) -> None:
        kind, request = kind_request
        try:
            took = execute(client, index, request)
        except Exception:  # counted as a failed request; the step still finishes
            with self.lock:
                self.errors += 1
            return
        with self.lock:
            self.latencies.append((time.perf_counter() - due) * 1000)
            self.by_kind.setdefault(kind, []).append(self.latencies[-1])
            self.took.setdefault(kind, []).append(took)

    def kinds(self) -> dict[str, dict[str, Any]]:
        return {
            kind: {
                "requests": len(values),
                "p50_ms": percentile(values, 50),
                "p99_ms": percentile(values, 99),
                "took_p50_ms": percentile(self.took[kind], 50),
                "took_p99_ms": percentile(self.took[kind], 99),
            }
            for kind, values in sorted(self.by_kind.items())
        }


class ClientPauses:
    """The client process's own collector pauses during a step. A pause stalls every request due
    meanwhile, and an open loop counts that as latency; the bench process holds what its
    earlier stages made, so a full collection of it can take seconds."""

    def __init__(self) -> None:
        self.longest_ms = self.total_ms = 0.0
        self.full_collections = 0
        self._started = 0.0

    def __enter__(self) -> ClientPauses:
        gc.callbacks.append(self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause_ms = (time.perf_counter() - self._started) * 1000
        self.total_ms += pause_ms
        self.longest_ms = max(self.longest_ms, pause_ms)
        self.full_collections += info["generation"] == 2

    def figures(self) -> dict[str, float]:
        return {
            "longest_ms": self.longest_ms,
            "total_ms": self.total_ms,
            "full_collections": self.full_collections,
        }


def per_second(
    before: dict[str, float] | None, after: dict[str, float] | None, elapsed_s: float
) -> dict[str, float] | None:
    """Each counter's growth from `before` to `after`, a second (None if a meter could not read)."""
    if before is None or after is None:
        return None
    return {kind: (after[kind] - before[kind]) / elapsed_s for kind in after}


def search_step(
    client,
    index: str,
    mix: QueryMix,
    *,
    rate: float,
    duration_s: float,
    execute: Execute = as_the_api,
) -> dict[str, Any]:
    """Open loop: requests are due at fixed times; latency counts from the due time."""
    count = max(1, int(rate * duration_s))
    timings = Timings()
    bodies = [mix.next() for _ in range(count)]
    cpu_before, host_before, disk_before = node_cpu_s(client), host_cpu_s(), host_disk_mib()
    started = time.perf_counter()
    with ClientPauses() as pauses, ThreadPoolExecutor(max_workers=16) as pool:
        for i, body in enumerate(bodies):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(timings.search, client, index, body, due, execute)
    elapsed = time.perf_counter() - started
    cpu_ms = (node_cpu_s(client) - cpu_before) * 1000
    host = per_second(host_before, host_cpu_s(), elapsed)
    disk = per_second(disk_before, host_disk_mib(), elapsed)
    return {
        "rate": rate,
        "requests": count,
        "errors": timings.errors,
        "achieved_rate": count / elapsed,
        "p50_ms": percentile(timings.latencies, 50),
        "p99_ms": percentile(timings.latencies, 99),
        "max_ms": max(timings.latencies, default=0.0),
        # where a slow step's time went: the nodes' CPU per request (the whole node, so work
        # other than the searches shows here too), the client's own collector pauses, and the
        # host's cores in use by kind and its disk reads and page cache refaults in MiB/s
        # (loadtests/RESULTS.md, the million-case runs)
        "es_cpu_ms_per_request": cpu_ms / count,
        "client_gc": pauses.figures(),
        "host_cores": host,
        "host_disk_mib_s": disk,
        # per query kind: the client's latency and Elasticsearch's own `took`
        "by_kind": timings.kinds(),
    }


def settle_merges(client, index: str, *, timeout_s: float, quiet_s: float = 5.0) -> float:
    """Seconds until no merge has run on `index` for `quiet_s` (bounded by `timeout_s`)."""
    started = time.perf_counter()
    quiet_since = None
    while time.perf_counter() - started < timeout_s:
        stats = client.indices.stats(index=index, metric="merge")["_all"]["primaries"]["merges"]
        now = time.perf_counter()
        if stats["current"]:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return quiet_since - started
        time.sleep(0.5)  # polling the merge statistics, bounded by timeout_s
    return time.perf_counter() - started


def warm_until_compiled(
    client,
    index: str,
    mix: QueryMix,
    *,
    node_pid: int | None,
    rate: float,
    window_s: float,
    timeout_s: float,
    settled_cores: float = 0.1,
) -> dict[str, Any]:
    """Search at `rate` in windows of `window_s` until the node's JIT compiler threads take
    less than `settled_cores` over a window (bounded by `timeout_s`).

    A node that has only indexed for an hour has not compiled its search path: for the first
    minutes of searching, its compiler threads take most of a core on top of the searches,
    which the node's own statistics do not count, and on two cores the searches queue behind
    them (loadtests/RESULTS.md, eighth session). A running system's node has its search path
    compiled, so the steady steps start once the compiler is done with what they run. With no
    local node to read (`node_pid` None), one window is searched and nothing is waited for."""
    started = time.perf_counter()
    windows: list[dict[str, float]] = []
    while True:
        before = jit_cpu_s(node_pid) if node_pid else None
        step = search_step(client, index, mix, rate=rate, duration_s=window_s)
        after = jit_cpu_s(node_pid) if node_pid else None
        jit_cores = (
            sum(cpu - before.get(thread, 0.0) for thread, cpu in after.items()) / window_s
            if before is not None and after is not None
            else None
        )
        windows.append(
            {"es_cpu_ms_per_request": step["es_cpu_ms_per_request"], "jit_cores": jit_cores}
        )
        settled = jit_cores is not None and jit_cores < settled_cores
        if settled or jit_cores is None or time.perf_counter() - started >= timeout_s:
            return {
                "seconds": time.perf_counter() - started,
                "settled": settled,
                "rate": rate,
                "windows": windows,
            }


def median_by_kind(rates: list[dict[str, float] | None]) -> dict[str, float] | None:
    """The median of each kind over the steps' `per_second` figures (None if a step has none)."""
    if not rates or any(r is None for r in rates):
        return None
    return {kind: median([r[kind] for r in rates]) for kind in rates[0]}


def search_steps(
    client, index: str, mix: QueryMix, *, rate: float, duration_s: float, runs: int
) -> dict[str, Any]:
    """`runs` search steps at one rate: medians of their figures, overall and by query kind."""
    steps = [search_step(client, index, mix, rate=rate, duration_s=duration_s) for _ in range(runs)]
    kinds = sorted({k for r in steps for k in r["by_kind"]})
    return {
        "rate": rate,
        "p50_ms": median([r["p50_ms"] for r in steps]),
        "p99_ms": median([r["p99_ms"] for r in steps]),
        "max_ms": max(r["max_ms"] for r in steps),
        "errors": sum(r["errors"] for r in steps),
        "requests": sum(r["requests"] for r in steps),
        "achieved_rate": median([r["achieved_rate"] for r in steps]),
        "es_cpu_ms_per_request": median([r["es_cpu_ms_per_request"] for r in steps]),
        "client_gc_longest_ms": max(r["client_gc"]["longest_ms"] for r in steps),
        "host_cores": median_by_kind([r["host_cores"] for r in steps]),
        "host_disk_mib_s": median_by_kind([r["host_disk_mib_s"] for r in steps]),
        "by_kind": {
            kind: {
                key: median([r["by_kind"][kind][key] for r in steps if kind in r["by_kind"]])
                for key in ("p50_ms", "p99_ms", "took_p50_ms", "took_p99_ms")
            }
            for kind in kinds
        },
    }


def search_stage(run: RunContext, items: list[dict]) -> dict[str, Any]:
    """One step at 10 req/s in the state the rebuild and freshness stages leave, then the
    steady state a running system has (merges done, caches warm) at rising rates.

    Each step also reports the nodes' CPU per request and the client's own collector pauses,
    so a slow step says whose time ran out (loadtests/RESULTS.md, the million-case runs)."""
    args, client, names = run.args, run.read_models.client, run.read_models.names
    aliases = ",".join(names.alias(m) for m in SEARCH_TYPES.values())
    mix = sample_mix(client, names.alias("cases"), items=items)
    unsettled = search_step(client, aliases, mix, rate=10, duration_s=args.search_seconds)
    settle_s = settle_merges(client, aliases, timeout_s=args.stage_timeout)
    run.progress(
        f"search before merges settled, at 10/s: p50 {unsettled['p50_ms']:.0f} ms, "
        f"p99 {unsettled['p99_ms']:.0f} ms; merges settled after {settle_s:.0f} s"
    )
    warm(client, aliases, mix)
    warm_up = warm_until_compiled(
        client,
        aliases,
        mix,
        node_pid=local_server_pid("elasticsearch"),
        rate=25,
        window_s=args.search_seconds,
        timeout_s=min(args.stage_timeout, 600.0),
    )
    run.progress(
        f"search warmed for {warm_up['seconds']:.0f} s at 25/s: the node's JIT "
        + ("done" if warm_up["settled"] else "not done or not readable")
    )
    steps = []
    for rate in args.search_rates:
        steps.append(
            search_steps(
                client, aliases, mix, rate=rate, duration_s=args.search_seconds, runs=args.runs
            )
        )
        run.progress(
            f"search at {rate:.0f}/s: p50 {steps[-1]['p50_ms']:.0f} ms, "
            f"p99 {steps[-1]['p99_ms']:.0f} ms, {steps[-1]['errors']} errors"
        )
        if steps[-1]["p99_ms"] > 100 and rate >= 50:
            break
    return {
        "documents": int(client.count(index=aliases)["count"]),
        "steps": steps,
        "at_50": next((s for s in steps if s["rate"] == 50), steps[-1]),
        "merges_settled_s": settle_s,
        "unsettled_at_10": unsettled,
        "warm_up": warm_up,
    }
