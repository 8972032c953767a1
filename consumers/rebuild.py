"""Rebuild a read model into a new index version while the old one keeps serving.

1. create `<alias>-v<N+1>`, with the rebuild's settings (`REBUILD_SETTINGS`: no periodic
   refresh, since nothing reads the new index yet);
2. a projector in a consumer group of its own reads the topic from offset 0 into it until it
   has reached the end offsets (re-read at each check, so it follows the live topic), without
   refreshing after each batch;
3. give the index the serving settings back, refresh it, and swap the alias in one atomic
   request;
4. one more catch-up pass, for what the live projector wrote to the old index between the
   first catch-up and the swap (the live projector writes through the alias, so after the
   swap it writes to the new index); the consumer stays in its group across the swap;
5. the old index is kept until `--drop-old` (or `drop`) removes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from consumers.projector import Projector
from search.indices import REBUILD_SETTINGS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildResult:
    new_index: str
    old_index: str | None
    events: int
    applied: int


def caught_up(projector: Projector) -> bool:
    consumer = projector.consumer
    if consumer is None:
        return False
    assigned = consumer.assignment()
    partitions = consumer.partitions_for_topic(projector.topic) or set()
    if not assigned or len(assigned) < len(partitions):
        return False
    ends = consumer.end_offsets(list(assigned))
    return all(consumer.position(tp) >= ends[tp] for tp in assigned)


def rebuild(
    *,
    make_projector: Callable[..., Projector],
    name: str,
    stop: threading.Event,
    progress: Callable[[str], None] = log.info,
    settings: dict | None = REBUILD_SETTINGS,
) -> RebuildResult:
    """`settings`: the new index's settings until the swap (None: the serving ones throughout)."""
    first = make_projector(name)
    read_models = first.read_models
    read_models.ensure(name)
    new_index = read_models.create_next_index(name, settings)
    group = f"{first.group_id}.rebuild.{new_index}"
    progress(f"rebuilding {name} into {new_index} from offset 0 (group {group})")

    def report(p: Projector) -> bool:
        done = caught_up(p)
        if p.stats.batches and (done or p.stats.batches % 20 == 0):
            progress(
                f"{name}: {p.stats.events} events read, {p.stats.applied} applied, "
                f"{p.stats.dead_letters} dead letters"
            )
        return done

    projector = make_projector(
        name,
        group_id=group,
        target=new_index,
        checkpoint_name=f"{name}@{new_index}",
        refresh_each_batch=False,
        max_poll_records=5000,
        # A rebuild runs alone (`manage.py rebuild`): its fetches as large as Kafka's defaults.
        fetch_max_bytes=50 << 20,
        max_partition_fetch_bytes=1 << 20,
    )
    try:
        # the consumer stays in its group for step 4 (a rejoin cost about a second)
        projector.run(stop, until=report, keep_open=True)
        if stop.is_set():
            raise InterruptedError(
                f"rebuild of {name} stopped before the swap; {new_index} is left unused"
            )
        if settings:
            read_models.serve(new_index)
        read_models.refresh(new_index)
        old = read_models.swap_alias(name, new_index)
        progress(f"alias {read_models.names.alias(name)} now points at {new_index} (was {old})")
        projector.refresh_each_batch = True  # it now writes to the serving index
        projector.run(stop, until=caught_up)
    finally:
        projector.close()
    return RebuildResult(new_index, old, projector.stats.events, projector.stats.applied)
