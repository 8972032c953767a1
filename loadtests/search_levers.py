"""Search levers side by side on a kept bench run: the query mix at each rate, per variant.

    .venv/bin/python -m loadtests.search_levers bench1234abcd --rates 10 25 50 --runs 3
    .venv/bin/python -m loadtests.search_levers bench1234abcd --writes 200   # writes beside

Variants (each runs the bench's query mix, ``loadtests.bench.search.QueryMix``, open loop):

- ``before``: one search request with the facets, an exact total and `_score` first in the
  sort, as `GET /search` ran until 2026-12-01, and no eager global ordinals;
- ``split``: `GET /search` now (``search.store.find``: the page and the facets in one
  multi-search, the page counting nothing) without the request cache or eager ordinals;
- ``eager``: ``split`` with eager global ordinals on the faceted fields;
- ``cached``: ``eager`` with the facets in the shard request cache, as shipped.

The windows of all variants are interleaved (run 1 of every variant and rate, then run 2 ...),
so a change of the machine's load falls on all of them alike; medians of the runs are printed.
With ``--writes N`` a writer thread beside the searches indexes N case documents a second (the
run's own documents with a new `updated_at`, copies under ids of their own, removed at the end)
and refreshes the cases index every second, as the projectors do. Use ``search_scale --copies``
first to grow the cases index, ``search_scale --remove`` to remove the run afterwards.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from elasticsearch import helpers

from loadtests.bench.config import DEFAULTS
from loadtests.bench.search import Execute, as_the_api, sample_mix, search_step, warm
from loadtests.bench.tools import median
from search.client import make_client
from search.indices import FACETED_FIELDS, Names
from search.queries import FACETS, SEARCH_TYPES, SearchRequest
from search.store import find

VARIANTS = ["before", "split", "eager", "cached"]
WRITTEN = "-lever"  # suffix of the writer's document ids


def as_before(client, index: str, request: SearchRequest) -> float:
    """One request: the page with the facets and an exact total, `_score` first."""
    body = copy.deepcopy(request.page)
    body["track_total_hits"] = True
    body["aggs"] = dict(FACETS)
    if body["sort"][0] != "_score":
        body["sort"] = ["_score", *body["sort"]]
    return float(client.search(index=index, **body)["took"])


def uncached(client, index: str, request: SearchRequest) -> float:
    page, facets = find(client, index, request, request_cache=False)
    return float(max(page["took"], facets["took"]))


EXECUTORS: dict[str, tuple[Execute, bool]] = {
    "before": (as_before, False),
    "split": (uncached, False),
    "eager": (uncached, True),
    "cached": (as_the_api, True),
}


def eager_ordinals(client, indices: list[str], on: bool) -> None:
    properties = {
        name: {**mapping, "eager_global_ordinals": on} for name, mapping in FACETED_FIELDS.items()
    }
    for index in indices:
        client.indices.put_mapping(index=index, properties=properties)


class Writer(threading.Thread):
    """`rate` case documents a second rewritten under ids of their own, one refresh a second."""

    def __init__(self, client, cases: str, documents: list[dict], rate: int) -> None:
        super().__init__(daemon=True)
        self.client, self.cases, self.documents, self.rate = client, cases, documents, rate
        self.stop = threading.Event()
        self.written = 0
        self.refresh_ms: list[float] = []

    def run(self) -> None:
        k = 0
        while not self.stop.is_set():
            started = time.perf_counter()
            actions = []
            for _ in range(self.rate):
                doc = dict(self.documents[k % len(self.documents)])
                doc["updated_at"] = datetime.now(UTC).isoformat()
                doc["case_id"] = f"{doc['case_id']}{WRITTEN}{k % 5000}"
                actions.append({"_index": self.cases, "_id": doc["case_id"], "_source": doc})
                k += 1
            helpers.bulk(self.client, actions)
            refreshed = time.perf_counter()
            self.client.indices.refresh(index=self.cases)
            self.refresh_ms.append((time.perf_counter() - refreshed) * 1000)
            self.written += len(actions)
            self.stop.wait(max(0.0, 1.0 - (time.perf_counter() - started)))

    def remove(self) -> None:
        self.client.delete_by_query(
            index=self.cases,
            query={"wildcard": {"case_id": f"*{WRITTEN}*"}},
            refresh=True,
            conflicts="proceed",
        )


def profile(client, index: str, mix, kinds: list[str]) -> None:
    """Where Elasticsearch spends a query of each kind (its profile API, the first shard of
    every index summed): searching and collecting against each aggregation, cold request cache."""
    for kind in kinds:
        request = getattr(mix, f"_{kind}")(mix.samples[0])
        for part, body in (("page", request.page), ("facets", request.facets)):
            answer = client.search(index=index, profile=True, request_cache=False, **body)
            query_ms = collect_ms = 0.0
            aggs: dict[str, float] = {}
            for shard in answer["profile"]["shards"]:
                for search in shard["searches"]:
                    query_ms += sum(q["time_in_nanos"] for q in search["query"]) / 1e6
                    collect_ms += sum(c["time_in_nanos"] for c in search["collector"]) / 1e6
                for agg in shard.get("aggregations", []):
                    aggs[agg["description"]] = (
                        aggs.get(agg["description"], 0) + agg["time_in_nanos"] / 1e6
                    )
            shown = ", ".join(f"{name} {ms:.0f}" for name, ms in aggs.items())
            print(
                f"profile {kind} {part}: took {answer['took']} ms, query {query_ms:.0f} ms, "
                f"collectors {collect_ms:.0f} ms{'; aggregations ' + shown if aggs else ''}",
                flush=True,
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_id")
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 25, 50])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--warm", type=int, default=60, help="queries before each variant's steps")
    parser.add_argument("--writes", type=int, default=0, help="case documents written a second")
    parser.add_argument("--es", default=DEFAULTS["es"])
    parser.add_argument("--output", help="write the figures as JSON here")
    parser.add_argument(
        "--profile", action="store_true", help="profile one query of each kind and stop"
    )
    args = parser.parse_args(argv)

    client = make_client(args.es, timeout_s=120)
    names = Names(args.run_id)
    aliases = ",".join(names.alias(m) for m in SEARCH_TYPES.values())
    indices = sorted(client.indices.get_alias(name=aliases))
    cases = names.alias("cases")
    items = [
        {"code": h["_source"]["code"]}
        for h in client.search(index=names.alias("catalog"), size=200)["hits"]["hits"]
    ]
    mix = sample_mix(client, cases, items)
    print(
        f"{client.count(index=aliases)['count']} documents, {client.count(index=cases)['count']} "
        f"cases; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.profile:
        profile(client, aliases, mix, ["faceted", "filtered", "chinese_item", "latin_typo"])
        return
    writer = None
    if args.writes:
        documents = [h["_source"] for h in client.search(index=cases, size=500)["hits"]["hits"]]
        writer = Writer(client, cases, documents, args.writes)
        writer.start()
    steps: dict[tuple[str, float], list[dict]] = {}
    loads: list[float] = []
    try:
        for run in range(args.runs):
            for variant in args.variants:
                execute, eager = EXECUTORS[variant]
                eager_ordinals(client, indices, eager)
                client.indices.clear_cache(index=aliases, request=True)
                warm(client, aliases, mix, queries=args.warm, execute=execute)
                for rate in args.rates:
                    step = search_step(
                        client, aliases, mix, rate=rate, duration_s=args.seconds, execute=execute
                    )
                    steps.setdefault((variant, rate), []).append(step)
                    loads.append(os.getloadavg()[0])
                    print(
                        f"run {run + 1} {variant} at {rate:.0f}/s: p50 {step['p50_ms']:.0f} ms, "
                        f"p99 {step['p99_ms']:.0f} ms, achieved {step['achieved_rate']:.0f}/s, "
                        f"{step['errors']} errors",
                        flush=True,
                    )
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join()
            writer.remove()
        eager_ordinals(client, indices, True)
    summary = summarise(steps)
    print(
        f"\nmedians of {args.runs} x {args.seconds:.0f} s; load average {min(loads):.1f}-{max(loads):.1f}"
    )
    if writer is not None:
        refresh = sorted(writer.refresh_ms)
        print(
            f"writes beside: {writer.written} documents, refresh p50 {median(refresh):.0f} ms, "
            f"max {refresh[-1]:.0f} ms"
        )
    for (variant, rate), figures in summary.items():
        print(
            f"{variant:>7} at {rate:>3.0f}/s: p50 {figures['p50_ms']:>5.0f} ms, p99 "
            f"{figures['p99_ms']:>5.0f} ms, achieved {figures['achieved_rate']:.0f}/s, "
            f"{figures['errors']} errors"
        )
        for kind, k in figures["by_kind"].items():
            print(
                f"        {kind:>12}: p50 {k['p50_ms']:>5.0f}, p99 {k['p99_ms']:>5.0f} "
                f"(took p50 {k['took_p50_ms']:.0f}, p99 {k['took_p99_ms']:.0f})"
            )
    if args.output:
        with open(args.output, "w") as out:
            json.dump({f"{v}@{r:g}": f for (v, r), f in summary.items()}, out, indent=1)


def summarise(steps: dict[tuple[str, float], list[dict]]) -> dict[tuple[str, float], dict]:
    def med(values: list[dict], key: str) -> float:
        return median([v[key] for v in values])

    out: dict[tuple[str, float], dict[str, Any]] = {}
    for key, runs in steps.items():
        kinds = sorted({k for r in runs for k in r["by_kind"]})
        by_kind: dict[str, dict] = {}
        for kind in kinds:
            of_kind = [r["by_kind"][kind] for r in runs if kind in r["by_kind"]]
            by_kind[kind] = {
                name: med(of_kind, name)
                for name in ("p50_ms", "p99_ms", "took_p50_ms", "took_p99_ms")
            }
        out[key] = {
            "p50_ms": med(runs, "p50_ms"),
            "p99_ms": med(runs, "p99_ms"),
            "achieved_rate": med(runs, "achieved_rate"),
            "errors": sum(r["errors"] for r in runs),
            "by_kind": by_kind,
        }
    return out


if __name__ == "__main__":
    main()
