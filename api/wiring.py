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
        return leader.advisory_lock(config.event_store.split("?")[0], "casetrack-relay", stop=stop)
    return leader.file_lock(settings.sqlite_path.with_suffix(".relay.lock"), stop=stop)
