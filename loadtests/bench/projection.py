"""Stages 3 and 4, projection and rebuild: events/s Kafka -> Elasticsearch vs a raw bulk.

3. ``consumers.projector.Projector`` (cases) reads the run's topic into a fresh index until it
   has caught up;
4. ``consumers.rebuild.rebuild`` rebuilds the cases index from offset 0 and swaps its alias.
   Its raw bulk writes into an index with the rebuild's settings (`REBUILD_SETTINGS`: no
   periodic refresh), as the rebuild's own index has until its swap.

Both are timed from their first polled batch (the consumer group's join excluded) and set
against a bare ``helpers.bulk`` of the same final documents into an index with the same
mapping, converted to events/s with the run's events per document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from elasticsearch import helpers

from consumers.kafka_driver import KAFKA_PYTHON, consumer_factory
from consumers.projector import Projector
from consumers.rebuild import caught_up, rebuild
from loadtests.bench.context import RunContext
from loadtests.bench.tools import median
from projections import PROJECTIONS
from search.indices import REBUILD_SETTINGS, index_body
from search.store import ReadModels

Documents = list[tuple[str, bytes]]  # id, source


class FirstPoll:
    """A consumer factory whose consumers note when one of them first returns records.

    Passed to a projector as its `consumer_factory`: the projector processes every non-empty
    poll at once, so this is when it starts working, the group join and the wait for the first
    fetch excluded."""

    def __init__(self, factory: Callable[..., Any]) -> None:
        self.factory = factory
        self.first_at: float | None = None

    def __call__(self, *topics: str, **config: Any) -> _NotingConsumer:
        return _NotingConsumer(self.factory(*topics, **config), self)


class _NotingConsumer:
    """The consumer itself, but for `poll`, which also tells its `FirstPoll`."""

    def __init__(self, consumer: Any, clock: FirstPoll) -> None:
        self._consumer = consumer
        self._clock = clock

    def poll(self, *args: Any, **kwargs: Any) -> dict:
        records = self._consumer.poll(*args, **kwargs)
        if records and self._clock.first_at is None:
            self._clock.first_at = time.perf_counter()
        return records

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def final_documents(read_models: ReadModels, index: str, limit: int) -> Documents:
    read_models.refresh(index)
    docs = []
    for hit in helpers.scan(
        read_models.client, index=index, query={"query": {"match_all": {}}}, size=2000
    ):
        docs.append((hit["_id"], orjson.dumps(hit["_source"])))
        if len(docs) >= limit:
            break
    return docs


def raw_bulk(
    read_models: ReadModels,
    index: str,
    docs: Documents,
    *,
    settings: dict | None = None,
    inspect: Callable[[str], None] | None = None,
) -> float:
    """Seconds of a bare helpers.bulk of `docs` into a fresh index with the same mapping and
    settings (`settings` overrides some, as a rebuild's index does), refreshed;
    `inspect(index)`, if given, runs once timed, before the index is deleted."""
    client = read_models.client
    client.indices.create(index=index, **index_body("cases", settings))
    try:
        started = time.perf_counter()
        actions = (
            {"_index": index, "_id": doc_id, "_source": orjson.loads(source)}
            for doc_id, source in docs
        )
        helpers.bulk(client.options(request_timeout=120), actions, chunk_size=2000)
        client.indices.refresh(index=index)
        seconds = time.perf_counter() - started
        if inspect is not None:
            inspect(index)
        return seconds
    finally:
        client.indices.delete(index=index)


def doc_count(read_models: ReadModels, index: str) -> int:
    read_models.refresh(index)
    return int(read_models.client.count(index=index)["count"])


# ---------------------------------------------------------------------- 3. projection


def project_once(run: RunContext, index: str, *, name: str, driver: str) -> tuple[float, int]:
    """(events/s, events) of the cases projector reading the whole topic into `index`."""
    args = run.args
    clock = FirstPoll(consumer_factory(driver))
    projector = Projector(
        projection=PROJECTIONS["cases"],
        read_models=run.read_models,
        bootstrap=args.kafka,
        topic=run.topics.events,
        dead_letter_topic=run.topics.dead_letters,
        group_id=f"{run.run_id}.bench.{name}.{driver}",
        target=index,
        checkpoint_name=f"bench-{name}-{driver}",
        consumer_factory=clock,
    )
    started = time.perf_counter()
    projector.run(threading.Event(), until=caught_up)
    done = time.perf_counter()
    events = projector.stats.events
    return events / (done - (clock.first_at or started)), events


def projection_stage(run: RunContext) -> tuple[dict[str, Any], Documents]:
    """The cases projector with each driver, next to a raw bulk of the final documents; the
    figures and the documents (the rebuild's baseline bulks them too)."""
    args, read_models = run.args, run.read_models
    ours: dict[str, list[float]] = {d: [] for d in args.drivers}
    raw: list[float] = []
    docs: Documents = []
    events = projected = 0
    for n in range(args.runs):
        for driver in args.drivers:
            index = f"{run.run_id}-proj{n}-{driver}-cases-v1"
            read_models.client.indices.create(index=index, **index_body("cases"))
            rate, events = project_once(run, index, name=f"proj{n}", driver=driver)
            ours[driver].append(rate)
            if not docs:
                docs = final_documents(read_models, index, args.doc_sample)
                projected = doc_count(read_models, index)
                per_document = events / max(1, projected)
            read_models.client.indices.delete(index=index)
        seconds = raw_bulk(read_models, f"{run.run_id}-raw{n}-cases", docs)
        # the same final documents: the raw path's events/s = events per document x documents/s
        raw.append(per_document * len(docs) / seconds)
        _say(run, f"projection run {n + 1}/{args.runs}", ours, raw)
    return {
        "events": events,
        "documents": len(docs),
        "projected_documents": projected,
        **_figures(ours, raw, key="projector_events_s", runs="projector"),
    }, docs


# ---------------------------------------------------------------------- 4. rebuild


def rebuild_once(
    run: RunContext, *, driver: str, settings: dict | None = REBUILD_SETTINGS
) -> tuple[float, int, str]:
    """(events/s, events, new index) of a full rebuild of the cases index (`settings`: its
    index's until the swap); the new index replaces the old, which is dropped."""
    args, read_models = run.args, run.read_models
    clocks: list[FirstPoll] = []

    def make(name: str, **overrides: Any) -> Projector:
        clocks.append(FirstPoll(consumer_factory(driver)))
        options = dict(
            projection=PROJECTIONS[name],
            read_models=read_models,
            bootstrap=args.kafka,
            topic=run.topics.events,
            dead_letter_topic=run.topics.dead_letters,
            group_id=f"{run.run_id}.projector.{name}",
            consumer_factory=clocks[-1],
        )
        options.update(overrides)
        return Projector(**options)

    started = time.perf_counter()
    result = rebuild(
        make_projector=make,
        name="cases",
        stop=threading.Event(),
        progress=lambda line: None,
        settings=settings,
    )
    done = time.perf_counter()
    if result.old_index:
        read_models.drop_index(result.old_index)
    # the last projector made is the one that rebuilt (the first only names the group)
    rate = result.events / (done - (clocks[-1].first_at or started))
    return rate, result.events, result.new_index


def rebuild_stage(run: RunContext, docs: Documents) -> dict[str, Any]:
    """A full rebuild of the cases index from offset 0 with each driver, next to the raw bulk."""
    args = run.args
    ours: dict[str, list[float]] = {d: [] for d in args.drivers}
    raw: list[float] = []
    events = 0
    for n in range(args.runs):
        for driver in args.drivers:
            rate, events, new_index = rebuild_once(run, driver=driver)
            ours[driver].append(rate)
            per_document = events / max(1, doc_count(run.read_models, new_index))
        seconds = raw_bulk(
            run.read_models, f"{run.run_id}-rawrb{n}-cases", docs, settings=REBUILD_SETTINGS
        )
        raw.append(per_document * len(docs) / seconds)
        _say(run, f"rebuild run {n + 1}/{args.runs}", ours, raw)
    return {"events": events, **_figures(ours, raw, key="rebuild_events_s", runs="rebuild")}


# ---------------------------------------------------------------------- shared


def _say(run: RunContext, what: str, ours: dict[str, list[float]], raw: list[float]) -> None:
    run.progress(
        f"{what}: "
        + ", ".join(f"{d} {values[-1]:.0f}" for d, values in ours.items())
        + f" vs raw bulk {raw[-1]:.0f} events/s"
    )


def _figures(
    ours: dict[str, list[float]], raw: list[float], *, key: str, runs: str
) -> dict[str, Any]:
    """Medians per driver against the raw bulk's; kafka-python's are the stage's own."""
    baseline = median(raw)
    return {
        key: median(ours[KAFKA_PYTHON]),
        "raw_bulk_events_s": baseline,
        "ratio": median(ours[KAFKA_PYTHON]) / baseline,
        "drivers": {d: {key: median(ours[d]), "ratio": median(ours[d]) / baseline} for d in ours},
        "runs": {runs: ours, "raw": raw},
    }
