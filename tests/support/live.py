"""A live Casetrack for HTTP tests: a temporary SQLite event store, in-process relay and
projector threads on real Kafka and Elasticsearch under a unique topic and index prefix,
and the process configuration pointed at them (Django's test client then talks to it).

Everything it made (indices, topics, threads, the store) is removed on exit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from api import wiring
from api.config import get_config
from consumers import kafka_admin
from consumers.relay import Relay, access_log_relay
from consumers.topics import Topics
from projections import EVENT_PROJECTIONS, PROJECTIONS
from tests.support.stack import wait_until


@dataclass
class Live:
    app: Any
    read_models: Any
    prefix: str
    partitions: int
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start_projector(self, name: str) -> None:
        """Start a projection's projector (one held back by `live_casetrack(hold=...)`)."""
        thread = threading.Thread(
            target=wiring.make_projector(name).run,
            args=(self.stop,),
            daemon=True,
            name=f"{self.prefix}-{name}",
        )
        thread.start()
        self.threads.append(thread)

    def caught_up(self, position: int | None = None) -> bool:
        target = self.app.max_position() if position is None else position
        return all(
            self.read_models.watermark(name, self.partitions) >= target
            for name in EVENT_PROJECTIONS
        )

    def wait_caught_up(self, timeout_s: float = 120) -> None:
        wait_until(
            self.caught_up,
            timeout_s=timeout_s,
            interval_s=0.2,
            what="the projections to catch up with the event store",
        )


@contextlib.contextmanager
def live_casetrack(
    store_dir: Path,
    *,
    kafka_bootstrap: str,
    es_url: str,
    name: str,
    partitions: int = 2,
    hold: Collection[str] = (),
) -> Iterator[Live]:
    """`hold`: projections whose projectors are not started (`Live.start_projector` starts one)."""
    prefix = f"test-{name}-{uuid4().hex[:8]}"
    settings = {
        "CASETRACK_EVENT_STORE": f"sqlite:///{store_dir / 'events.db'}",
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_INDEX_PREFIX": prefix,
        "CASETRACK_PARTITIONS": str(partitions),
        "CASETRACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CASETRACK_ES_URL": es_url,
        "CASETRACK_ENV": "development",
    }
    with pytest.MonkeyPatch.context() as env:
        for key, value in settings.items():
            env.setenv(key, value)
        get_config.cache_clear()
        wiring.reset_application()
        app = wiring.application()
        read_models = wiring.make_read_models()
        read_models.ensure_all()
        topics = Topics(prefix)
        kafka_admin.ensure_topic(
            kafka_bootstrap, topics.events, partitions=partitions, config={"retention.ms": "-1"}
        )
        kafka_admin.ensure_topic(
            kafka_bootstrap, topics.access, partitions=partitions, config={"retention.ms": "-1"}
        )
        stop = threading.Event()
        workers = [
            Relay(
                read_log=app.read_log,
                mapper=app.mapper,
                bootstrap=kafka_bootstrap,
                topic=topics.events,
                partitions=partitions,
                marker_interval_s=0.1,
            ),
            access_log_relay(
                app,
                bootstrap=kafka_bootstrap,
                topic=topics.access,
                partitions=partitions,
                marker_interval_s=0.1,
            ),
        ]
        workers += [wiring.make_projector(p) for p in PROJECTIONS if p not in hold]
        threads = [
            threading.Thread(target=w.run, args=(stop,), daemon=True, name=f"{name}-{i}")
            for i, w in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        live = Live(app, read_models, prefix, partitions, stop, threads)
        try:
            yield live
        finally:
            stop.set()
            for thread in live.threads:
                thread.join(timeout=60)
            for index in read_models.client.indices.get(
                index=f"{prefix}-*", expand_wildcards="all"
            ):
                read_models.client.indices.delete(index=index)
            admin = kafka_admin.admin_client(kafka_bootstrap)
            try:
                existing = admin.list_topics()
                admin.delete_topics([t for t in existing if t.startswith(f"{prefix}.")])
            finally:
                admin.close()
            app.close()
            wiring.reset_application()
    get_config.cache_clear()
