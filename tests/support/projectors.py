"""A `make_projector(name, **overrides)` for tests that run projectors (or a rebuild) on topics
and read models of their own."""

from __future__ import annotations

from collections.abc import Callable

from consumers.projector import Projector
from consumers.topics import Topics
from projections import PROJECTIONS
from search.store import ReadModels


def projector_factory(
    *,
    read_models: ReadModels,
    bootstrap: str,
    topics: Topics,
    prefix: str,
    partitions: int,
    made: list[Projector] | None = None,
) -> Callable[..., Projector]:
    """Projectors of one projection each, in the group `<prefix>.projector.<name>`; each made
    is also appended to `made`, if given (to close them afterwards)."""

    def make(name: str, **overrides) -> Projector:
        options = dict(
            projection=PROJECTIONS[name],
            read_models=read_models,
            bootstrap=bootstrap,
            topic=topics.events,
            dead_letter_topic=topics.dead_letters,
            group_id=f"{prefix}.projector.{name}",
            partitions=partitions,
        )
        options.update(overrides)
        projector = Projector(**options)
        if made is not None:
            made.append(projector)
        return projector

    return make
