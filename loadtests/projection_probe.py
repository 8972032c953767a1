"""The projection bench on its own: one loaded topic, measured again and again.

``python -m loadtests.projection_probe prepare --cases 20000`` loads the bench's cases into
a SQLite store of its own and relays them to a topic of its own, once, and prints its run id;
``measure RUN_ID --runs 3`` runs the bench's projection and rebuild stages on it (the cases
projector and a rebuild against a raw bulk of the same final documents, in the same run);
``rss RUN_ID`` starts ``manage.py project all`` on it, waits until every projection has caught
up and prints its peak RSS; ``profile RUN_ID`` runs the cases projector under cProfile;
``consume RUN_ID --driver confluent --work 0.45`` reads the topic with the projector's consumer
alone, sleeping `work` seconds per 5,000 records in place of the projector's own work (so a
consumer that cannot keep up shows without Elasticsearch); ``remove RUN_ID`` deletes the topic,
indices, groups and store. ``measure`` and ``profile`` take ``--drivers`` / ``--driver``
(``kafka-python``, the default, or ``confluent``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import orjson

from consumers.kafka_driver import DRIVERS, FETCH_MAX_WAIT_MS, KAFKA_PYTHON, consumer_factory
from consumers.projector import Projector
from consumers.rebuild import caught_up
from domain.services import Casetrack
from loadtests.bench.config import DEFAULTS, ROOT
from loadtests.bench.context import RunContext
from loadtests.bench.loader import Loader
from loadtests.bench.processes import projector_processes
from loadtests.bench.projection import (
    doc_count,
    final_documents,
    projection_stage,
    raw_bulk,
    rebuild_once,
    rebuild_stage,
)
from loadtests.bench.relay import relay_once
from loadtests.bench.run import remove_run
from loadtests.bench.tools import Progress, median, rss_peak_mb
from loadtests.cleanup import remove_named
from projections import PROJECTIONS
from search.client import make_client
from search.indices import REBUILD_SETTINGS, Names, index_body
from search.store import ReadModels


def _args(
    run_id: str, runs: int = 3, partitions: int = 12, drivers: list[str] | None = None
) -> argparse.Namespace:
    return argparse.Namespace(
        kafka=DEFAULTS["kafka"],
        es=DEFAULTS["es"],
        runs=runs,
        partitions=partitions,
        drivers=drivers or [KAFKA_PYTHON],
        doc_sample=200_000,
        stage_timeout=1800.0,
    )


def _context(run_id: str, **kw) -> RunContext:
    args = _args(run_id, **kw)
    return RunContext(
        args=args,
        progress=Progress(False),
        run_id=run_id,
        work=ROOT / "var" / "bench" / run_id,
        read_models=ReadModels(make_client(args.es, timeout_s=120), Names(run_id)),
    )


def _env(run: RunContext, group_suffix: str = "") -> dict[str, str]:
    return {
        "CASETRACK_EVENT_STORE": f"sqlite:///{run.work / 'events.db'}",
        "CASETRACK_TOPIC_PREFIX": run.run_id,
        "CASETRACK_INDEX_PREFIX": run.run_id + group_suffix,
        "CASETRACK_PARTITIONS": str(run.args.partitions),
        "CASETRACK_KAFKA_BOOTSTRAP": run.args.kafka,
        "CASETRACK_ES_URL": run.args.es,
        "CASETRACK_SNAPSHOT_INTERVAL": "0",
        "CASETRACK_ENV": "development",
    }


def prepare(cases: int) -> str:
    run = _context(f"bench{uuid.uuid4().hex[:8]}")
    run.work.mkdir(parents=True, exist_ok=True)
    app = Casetrack(env=_env(run))
    try:
        loader = Loader(app)
        loader.publish_catalogue()
        elapsed = loader.load(cases, progress=run.progress)
        total = app.max_position()
        run.progress(f"loaded {cases} cases, {total} events in {elapsed:.0f} s")
        rate, sent = relay_once(
            app,
            bootstrap=run.args.kafka,
            topic=run.topics.events,
            partitions=run.args.partitions,
            target=total,
            timeout_s=1800,
        )
        run.progress(f"relayed {sent} events at {rate:.0f}/s")
    finally:
        app.close()
    (run.work / "events.total").write_text(str(total))
    print(run.run_id)
    return run.run_id


def measure(run_id: str, runs: int, drivers: list[str] | None = None) -> None:
    run = _context(run_id, runs=runs, drivers=drivers)
    earlier = f"{run_id}.bench."  # the stage's groups: each run reads from offset 0
    # the rebuilds' groups, named after their new index: the second `measure` of a run made the
    # same index names again, so its rebuilds resumed at the end and read nothing
    rebuilt = f"{run_id}.projector."
    left = (earlier, rebuilt, f"{run_id}-proj", f"{run_id}-raw")  # and a stopped run's indices
    remove_named(lambda name: name.startswith(left), kafka=run.args.kafka, es=run.args.es)
    projection, docs = projection_stage(run)
    rebuild = rebuild_stage(run, docs)
    for name, figures in (("projection", projection), ("rebuild", rebuild)):
        key = "projector_events_s" if name == "projection" else "rebuild_events_s"
        print(
            orjson.dumps(
                {
                    "stage": name,
                    "load_average": os.getloadavg(),
                    "events": figures["events"],
                    "ours": figures[key],
                    "raw": figures["raw_bulk_events_s"],
                    "ratio": round(figures["ratio"], 3),
                    "drivers": {
                        driver: {"ours": f[key], "ratio": round(f["ratio"], 3)}
                        for driver, f in figures["drivers"].items()
                    },
                    "runs": figures["runs"],
                }
            ).decode()
        )
    rebuilt = run.read_models.names.alias("cases")  # the rebuilds' indices behind it
    remove_named(lambda name: name.startswith(rebuilt), kafka=run.args.kafka, es=run.args.es)


def rebuilds(run_id: str, runs: int) -> None:
    """The rebuild stage alone (its raw bulk of the rebuilt documents in the same run), into
    indices of a prefix of its own."""
    run = _context(run_id, runs=runs)
    prefix = f"{run_id}-rbo{uuid.uuid4().hex[:4]}"
    run.read_models = ReadModels(run.read_models.client, Names(prefix))
    ours: list[float] = []
    raw: list[float] = []
    docs: list = []
    try:
        for n in range(runs):
            rate, events, new_index = rebuild_once(run, driver=KAFKA_PYTHON)
            if not docs:
                docs = final_documents(run.read_models, new_index, run.args.doc_sample)
            per_document = events / max(1, doc_count(run.read_models, new_index))
            seconds = raw_bulk(
                run.read_models, f"{prefix}-raw{n}-cases", docs, settings=REBUILD_SETTINGS
            )
            ours.append(rate)
            raw.append(per_document * len(docs) / seconds)
            run.progress(
                f"rebuild run {n + 1}/{runs}: {rate:.0f} vs raw bulk {raw[-1]:.0f} events/s"
            )
        print(
            orjson.dumps(
                {
                    "stage": "rebuild",
                    "load_average": os.getloadavg(),
                    "ours": median(ours),
                    "raw": median(raw),
                    "ratio": round(median(ours) / median(raw), 3),
                    "runs": {"rebuild": ours, "raw": raw},
                }
            ).decode()
        )
    finally:
        remove_named(lambda name: name.startswith(prefix), kafka=run.args.kafka, es=run.args.es)


def rss(run_id: str) -> None:
    """`project all` into indices of a fresh prefix (so it reads the topic from offset 0)."""
    base = _context(run_id)
    suffix = f"-rss{uuid.uuid4().hex[:4]}"
    run = _context(run_id)
    run.read_models = ReadModels(base.read_models.client, Names(run_id + suffix))
    total = int((base.work / "events.total").read_text())
    groups = f"{run_id}.projector."  # `project all`'s groups, read from offset 0 each time
    remove_named(lambda name: name.startswith(groups), kafka=run.args.kafka, es=run.args.es)
    with ExitStack() as processes:
        started = time.perf_counter()
        proc, figures = projector_processes(run, _env(run, suffix), processes, total=total)
        peak = rss_peak_mb(proc.pid)
        print(
            orjson.dumps(
                {"events": total, "seconds": time.perf_counter() - started, "peak_rss_mib": peak}
            ).decode()
        )
    remove_run(run_id + suffix, kafka=run.args.kafka, es=run.args.es)
    remove_named(lambda name: name.startswith(groups), kafka=run.args.kafka, es=run.args.es)


def profile(run_id: str, output: Path, driver: str = KAFKA_PYTHON) -> None:
    run = _context(run_id)
    index = f"{run_id}-prof-cases-v1"
    run.read_models.client.indices.create(index=index, **index_body("cases"))
    projector = Projector(
        projection=PROJECTIONS["cases"],
        read_models=run.read_models,
        bootstrap=run.args.kafka,
        topic=run.topics.events,
        dead_letter_topic=run.topics.dead_letters,
        group_id=f"{run_id}.prof.{uuid.uuid4().hex[:4]}",
        target=index,
        checkpoint_name="prof",
        consumer_factory=consumer_factory(driver),
    )
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    projector.run(threading.Event(), until=caught_up)
    profiler.disable()
    seconds = time.perf_counter() - started
    print(f"{projector.stats.events} events in {seconds:.1f} s")
    profiler.dump_stats(output)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    run.read_models.client.indices.delete(index=index)


def consume(run_id: str, driver: str, work: float) -> None:
    """Records/s of the projector's consumer (its settings) from offset 0 to the end of the
    topic, timed from the first record; `work` s of sleep per 5,000 records after each poll,
    which, like the projector's, asks for nothing more (timeout 0) until that work is done."""
    run = _context(run_id)
    total = int((run.work / "events.total").read_text())
    consumer = consumer_factory(driver)(
        run.topics.events,
        bootstrap_servers=run.args.kafka,
        group_id=f"{run_id}.consume.{uuid.uuid4().hex[:4]}",
        client_id="casetrack-probe",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=5000,
        fetch_max_bytes=2 << 20,
        max_partition_fetch_bytes=256 << 10,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    read = polls = empty = 0
    started = None
    try:
        while read < total:
            records = consumer.poll(timeout_ms=0 if started else 500)
            count = sum(len(batch) for batch in records.values())
            if not count:
                empty += started is not None
                time.sleep(0.01)
                continue
            started = started or time.perf_counter()
            read, polls = read + count, polls + 1
            time.sleep(work * count / 5000)
        seconds = time.perf_counter() - (started or 0)
    finally:
        consumer.close()
    print(
        orjson.dumps(
            {
                "driver": driver,
                "work_s_per_5000": work,
                "load_average": os.getloadavg(),
                "records": read,  # markers included
                "records_s": round(read / seconds),
                "polls": polls,
                "empty_polls": empty,
            }
        ).decode()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.projection_probe")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare").add_argument("--cases", type=int, default=20_000)
    m = sub.add_parser("measure")
    m.add_argument("run_id")
    m.add_argument("--runs", type=int, default=3)
    m.add_argument("--drivers", nargs="+", choices=DRIVERS, default=[KAFKA_PYTHON])
    r = sub.add_parser("rebuild")
    r.add_argument("run_id")
    r.add_argument("--runs", type=int, default=3)
    c = sub.add_parser("consume")
    c.add_argument("run_id")
    c.add_argument("--driver", choices=DRIVERS, default=KAFKA_PYTHON)
    c.add_argument("--work", type=float, default=0.45, help="seconds per 5,000 records")
    sub.add_parser("rss").add_argument("run_id")
    p = sub.add_parser("profile")
    p.add_argument("run_id")
    p.add_argument("--output", type=Path, default=Path("/tmp/projection.prof"))
    p.add_argument("--driver", choices=DRIVERS, default=KAFKA_PYTHON)
    sub.add_parser("remove").add_argument("run_id")
    a = parser.parse_args(argv)
    if a.command == "prepare":
        prepare(a.cases)
    elif a.command == "measure":
        measure(a.run_id, a.runs, a.drivers)
    elif a.command == "rebuild":
        rebuilds(a.run_id, a.runs)
    elif a.command == "consume":
        consume(a.run_id, a.driver, a.work)
    elif a.command == "rss":
        rss(a.run_id)
    elif a.command == "profile":
        profile(a.run_id, a.output, a.driver)
    else:
        remove_run(a.run_id, kafka=DEFAULTS["kafka"], es=DEFAULTS["es"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
