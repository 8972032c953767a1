"""Compare the Elasticsearch read models with a replay of the event store."""

from __future__ import annotations

from collections import defaultdict

import orjson

from consumers.envelope import build_envelope
from consumers.projector import fold
from projections import EVENT_PROJECTIONS as PROJECTIONS
from search.store import ReadModels


def expected_documents(app) -> dict[str, dict[str, dict]]:
    """Every read model as the projections compute it from the whole event store."""
    streams: dict[str, list[dict]] = defaultdict(list)
    after = 0
    while batch := app.read_log(after, 5000):
        for e in batch:
            envelope = orjson.loads(
                orjson.dumps(
                    build_envelope(
                        app.mapper,
                        position=e.position,
                        originator_id=e.originator_id,
                        originator_version=e.originator_version,
                        topic=e.topic,
                        state=e.state,
                        prev_hash=e.prev_hash,
                        hash_=e.hash,
                    )
                )
            )
            streams[envelope["aggregate_id"]].append(envelope)
        after = batch[-1].position
    models: dict[str, dict[str, dict]] = {name: {} for name in PROJECTIONS}
    for aggregate_id, stream in streams.items():
        for name, projection in PROJECTIONS.items():
            if projection.handles(stream[0]):
                models[name][aggregate_id] = fold(projection, None, stream)[0]
    return models


def actual_documents(read_models: ReadModels) -> dict[str, dict[str, dict]]:
    client = read_models.client
    models = {}
    for name in PROJECTIONS:
        alias = read_models.names.alias(name)
        client.indices.refresh(index=alias)
        hits = client.search(index=alias, size=10_000, query={"match_all": {}})["hits"]["hits"]
        models[name] = {h["_id"]: h["_source"] for h in hits}
    return models


def differences(app, read_models: ReadModels) -> list[str]:
    """Human-readable differences; empty when every read model equals the replay."""
    expected, actual = expected_documents(app), actual_documents(read_models)
    problems = []
    for name in PROJECTIONS:
        missing = expected[name].keys() - actual[name].keys()
        extra = actual[name].keys() - expected[name].keys()
        stale = [
            i
            for i in expected[name].keys() & actual[name].keys()
            if expected[name][i] != actual[name][i]
        ]
        if missing or extra or stale:
            problems.append(
                f"{name}: {len(missing)} missing, {len(extra)} extra, {len(stale)} different"
            )
    return problems
