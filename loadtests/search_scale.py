"""Search on a kept bench run at steady state, optionally with its case documents multiplied.

    .venv/bin/python -m loadtests.bench --scale 100000 --keep      # prints its run id
    .venv/bin/python -m loadtests.search_scale bench1234abcd --copies 10 --rates 25 50
    .venv/bin/python -m loadtests.search_scale bench1234abcd --copies 1   # the run's own cases
    .venv/bin/python -m loadtests.search_scale bench1234abcd --remove
    .venv/bin/python -m loadtests.search_scale bench1234abcd --copies 10 --into http://127.0.0.1:18200

The whole bench at a million cases takes about 70 minutes on a two-core machine with one run
per figure. With ``--copies N`` this probe copies the case documents the run projected,
``N - 1`` times, with new ids, case numbers and party ids, into the same cases index, then runs
the bench's query mix (``loadtests.bench.search.QueryMix``) open loop at each rate and prints
p50/p99 overall and by query kind, with Elasticsearch's own ``took``. The documents are real
projections, their number is not loaded through the domain code: say so wherever the figures
are quoted. Remove the run's topics, groups and indices afterwards with ``--remove`` (the
cluster refuses a wildcard DELETE).

With ``--into URL`` the run's five searched read models are first copied into another
Elasticsearch node (the cases ``--copies`` times, the rest once, same mappings and settings),
and the searches run there: on a node of its own, its CPU is the searches' alone. Copying again
replaces what an earlier copy left there.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

from elasticsearch import helpers

from loadtests.bench.config import DEFAULTS
from loadtests.bench.run import remove_run
from loadtests.bench.search import sample_mix, search_steps, warm
from projections.base import json_copy
from search.client import make_client
from search.indices import REBUILD_SETTINGS, SERVING_SETTINGS, Names, index_body
from search.queries import SEARCH_TYPES


def copies_of(client, alias: str, copies: int) -> Iterator[dict]:
    documents = [
        (h["_id"], h["_source"])
        for h in helpers.scan(client, index=alias, query={"query": {"match_all": {}}}, size=2000)
    ]
    for k in range(1, copies):
        for doc_id, source in documents:
            doc = json_copy(source)
            new_id = f"{doc_id}-{k}"
            doc["case_id"] = new_id
            doc["case_number"] = f"{doc['case_number'][:-8]}{k}{doc['case_number'][-7:]}"
            doc["party_ids"] = [f"{p[:-3]}{k}{p[-2:]}" for p in doc.get("party_ids", [])]
            if doc.get("applicant") and doc["party_ids"]:
                doc["applicant"]["party_id"] = doc["party_ids"][0]
            yield {"_index": alias, "_id": new_id, "_source": doc}


def copy_into(source, target, names: Names, copies: int) -> None:
    """The run's searched read models into `target` under the same names: the cases `copies`
    times (`copies_of`), the others once; written without refreshes, refreshed at the end."""
    for model in SEARCH_TYPES.values():
        alias, index = names.alias(model), names.index(model, 1)
        body = index_body(model, REBUILD_SETTINGS)
        target.options(ignore_status=404).indices.delete(index=index)
        target.indices.create(index=index, aliases={alias: {}}, **body)
        documents = (
            {"_index": index, "_id": h["_id"], "_source": h["_source"]}
            for h in helpers.scan(source, index=alias, query={"query": {"match_all": {}}})
        )
        started = time.perf_counter()
        indexed, _ = helpers.bulk(target, documents, chunk_size=2000)
        if model == "cases" and copies > 1:
            more = ({**c, "_index": index} for c in copies_of(source, alias, copies))
            indexed += helpers.bulk(target, more, chunk_size=2000)[0]
        target.indices.put_settings(index=index, settings=SERVING_SETTINGS)
        target.indices.refresh(index=index)
        print(f"copied {indexed} {model} documents in {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_id", help="the prefix of a bench run kept with --keep")
    parser.add_argument(
        "--copies", type=int, default=10, help="the cases index ends with this many times its cases"
    )
    parser.add_argument("--rates", type=float, nargs="+", default=[25, 50])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--es", default=DEFAULTS["es"])
    parser.add_argument("--kafka", default=DEFAULTS["kafka"])
    parser.add_argument(
        "--into", metavar="URL", help="copy the read models into this node and search it there"
    )
    parser.add_argument(
        "--remove",
        action="store_true",
        help="remove the kept run (indices, topics, groups, store) and stop",
    )
    args = parser.parse_args(argv)
    if args.remove:
        remove_run(args.run_id, kafka=args.kafka, es=args.es)
        print(f"removed {args.run_id}")
        return

    client = make_client(args.es, timeout_s=300)
    names = Names(args.run_id)
    cases = names.alias("cases")
    if args.into:
        copy_into(client, make_client(args.into, timeout_s=300), names, args.copies)
        client = make_client(args.into, timeout_s=300)
    elif args.copies > 1:
        started = time.perf_counter()
        indexed, _ = helpers.bulk(client, copies_of(client, cases, args.copies), chunk_size=2000)
        client.indices.refresh(index=cases)
        print(f"indexed {indexed} copies in {time.perf_counter() - started:.0f} s")
    aliases = ",".join(names.alias(m) for m in SEARCH_TYPES.values())
    print(
        f"{client.count(index=aliases)['count']} documents, {client.count(index=cases)['count']} cases"
    )
    items = [
        {"code": h["_source"]["code"]}
        for h in client.search(index=names.alias("catalog"), size=200)["hits"]["hits"]
    ]
    mix = sample_mix(client, cases, items)
    warm(client, aliases, mix)
    for rate in args.rates:
        step = search_steps(
            client, aliases, mix, rate=rate, duration_s=args.seconds, runs=args.runs
        )
        print(
            f"at {rate:.0f} req/s: achieved {step['achieved_rate']:.0f}, p50 {step['p50_ms']:.0f} ms, "
            f"p99 {step['p99_ms']:.0f} ms, {step['errors']} errors"
        )
        for kind, k in step["by_kind"].items():
            print(
                f"    {kind}: p50 {k['p50_ms']:.0f} ms, p99 {k['p99_ms']:.0f} ms "
                f"(took p50 {k['took_p50_ms']:.0f}, p99 {k['took_p99_ms']:.0f})"
            )


if __name__ == "__main__":
    main()
