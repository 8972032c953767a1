"""Builds the long-lived objects of a process from the configuration (the edge)."""
from __future__ import annotations

import threading
from functools import lru_cache

from api.config import Config, get_config
from consumers import leader


def make_application(config: Config | None = None):
    from domain.services import Casetrack

    config = config or get_config()
    return Casetrack(env=config.store_env())


@lru_cache(maxsize=1)
def application():
    """The process's one application (its connection pool is shared by requests)."""
    return make_application()


def relay_lock(app, config: Config, *, stop: threading.Event):
    settings = app.settings
    if settings.backend == "postgres":
        # One lock per store: stores in other schemas of the same database relay independently.
        return leader.advisory_lock(config.event_store.split("?")[0], f"casetrack-relay:{settings.postgres_schema}",
                                    stop=stop)
    return leader.file_lock(settings.sqlite_path.with_suffix(".relay.lock"), stop=stop)


def make_read_models(config: Config | None = None):
    from search.client import make_client
    from search.indices import Names
    from search.store import ReadModels

    config = config or get_config()
    return ReadModels(make_client(config.es_url, timeout_s=30, ca_certs=config.es_ca_certs), Names(config.index_prefix))


def make_projector(name: str, config: Config | None = None, **overrides):
    from consumers.projector import Projector
    from consumers.topics import Topics
    from projections import PROJECTIONS

    config = config or get_config()
    topics = Topics(config.topic_prefix)
    projection = PROJECTIONS[name]
    options = dict(projection=projection, read_models=make_read_models(config),
                   bootstrap=config.kafka_bootstrap, topic=topics.access if projection.source == "access" else topics.events,
                   dead_letter_topic=topics.dead_letters, group_id=f"{config.topic_prefix}.projector.{name}")
    options.update(overrides)
    return Projector(**options)
