"""Operations (admin): how far behind each projection is, its dead letters and degraded documents."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from api import readside, wiring
from api.auth import require
from api.config import get_config
from api.schemas.common import PROBLEMS
from consumers.lag import oldest_unapplied_age
from consumers.topics import Topics
from projections import EVENT_PROJECTIONS as PROJECTIONS
from search.queries import degraded_count_body

log = logging.getLogger(__name__)
router = Router(tags=["operations"])

DEAD_LETTER_SCAN_LIMIT = 100_000


class ProjectionOut(Schema):
    name: str
    alias: str
    index: str | None = None
    watermark: int
    checkpoints: dict[str, int]
    lag_events: int
    lag_seconds: float
    dead_letters: int | None = None
    degraded_documents: int | None = None
    documents: int | None = None
    mapping_stale: bool | None = Field(
        None, description="the index was made with an older mapping: `manage.py rebuild <name>`"
    )


class ProjectionsOut(Schema):
    max_position: int
    partitions: int
    projections: list[ProjectionOut]
    dead_letters_total: int | None = None
    problems: list[str]


def _dead_letters_by_projection(problems: list[str]) -> tuple[dict[str, int] | None, int | None]:
    from consumers import kafka_admin
    from consumers.dead_letters import list_dead_letters

    config = get_config()
    try:
        kafka_admin.ping(
            config.kafka_bootstrap, timeout_s=2.0
        )  # fail fast rather than wait out a bootstrap
        letters = list_dead_letters(
            config.kafka_bootstrap,
            Topics(config.topic_prefix).dead_letters,
            limit=DEAD_LETTER_SCAN_LIMIT,
        )
    except Exception as exc:  # Kafka down: report the rest and say why this part is missing
        problems.append(f"dead letters unavailable: {type(exc).__name__}: {exc}")
        return None, None
    counts: dict[str, int] = {}
    for letter in letters:
        name = (letter.get("error") or {}).get("projection", "unknown")
        counts[name] = counts.get(name, 0) + 1
    return counts, len(letters)


@router.get(
    "/projections",
    response={200: ProjectionsOut, **PROBLEMS},
    summary="Projection lag, dead letters, degraded documents",
    description="Lag in events is the number of stored events after the projection's watermark; lag in "
    "seconds is the age of the oldest of them.",
    operation_id="api_routers_ops_projections",
)
def projections(request: HttpRequest):
    require(request, "admin")
    config = get_config()
    app = wiring.application()
    models = readside.read_models()
    problems: list[str] = []
    with app.store.read_cursor() as cursor:
        max_position = app.store.max_position_in(cursor)
        stored = app.store.count_events(cursor, max_position)
        out: list[dict[str, Any]] = []
        for name in PROJECTIONS:
            with readside.read_model_errors():
                checkpoints = models.checkpoints(name, config.partitions)
            watermark = min(checkpoints.values(), default=0)
            out.append(
                {
                    "name": name,
                    "alias": models.names.alias(name),
                    "watermark": watermark,
                    "checkpoints": {str(p): v for p, v in checkpoints.items()},
                    "lag_events": stored
                    - app.store.count_events(cursor, min(watermark, max_position)),
                }
            )
    now = app.clock()
    dead, dead_total = _dead_letters_by_projection(problems)
    for item in out:
        item["lag_seconds"] = oldest_unapplied_age(app, item["watermark"], now)
        item["dead_letters"] = dead.get(item["name"], 0) if dead is not None else None
        try:
            item["index"] = models.current_index(item["name"])
            item["degraded_documents"] = models.client.count(
                index=item["alias"], **degraded_count_body()
            )["count"]
            item["documents"] = models.client.count(index=item["alias"])["count"]
            item["mapping_stale"] = models.stale(item["name"])
            if item["mapping_stale"]:
                problems.append(
                    f"{item['alias']}: an older mapping; run `manage.py rebuild {item['name']}`"
                )
        except Exception as exc:  # a missing index is reported, not a 500
            problems.append(f"{item['alias']}: {type(exc).__name__}: {exc}")
    return {
        "max_position": max_position,
        "partitions": config.partitions,
        "projections": out,
        "dead_letters_total": dead_total,
        "problems": problems,
    }
