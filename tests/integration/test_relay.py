"""The relay: no event lost between the event store and Kafka, also under SIGKILL."""

from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from consumers.topics import Topics
from domain.application import CasetrackApplication
from tests.support.counter import Counter
from tests.support.processes import assert_per_aggregate_order, kill, manage, read_topic
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration
ACTOR = {"role": "system", "subject": "test"}


def _sqlite_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    app = CasetrackApplication(
        env={"CASETRACK_EVENT_STORE": url, "CASETRACK_SNAPSHOT_INTERVAL": "0"}
    )
    yield app, url
    app.close()


def _postgres_store(postgres_url, unique):
    schema = f"relay_{unique}"
    url = f"{postgres_url}?schema={schema}"
    app = CasetrackApplication(
        env={"CASETRACK_EVENT_STORE": url, "CASETRACK_SNAPSHOT_INTERVAL": "0"}
    )
    yield app, url
    app.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store(tmp_path):
    yield from _sqlite_store(tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request, tmp_path, postgres_url, unique):
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _postgres_store(postgres_url, unique)


def _relay_env(url: str, prefix: str, bootstrap: str) -> dict[str, str]:
    return {
        "CASETRACK_EVENT_STORE": url,
        "CASETRACK_TOPIC_PREFIX": prefix,
        "CASETRACK_KAFKA_BOOTSTRAP": bootstrap,
        "CASETRACK_PARTITIONS": "4",
    }


def _write_stream(
    app: CasetrackApplication,
    *,
    aggregates: int,
    events_each: int,
    done: threading.Event,
    pause_s: float = 0.4,
) -> None:
    """Commit aggregates' events in small interleaved commits, spread over some seconds so
    the relay is killed while the stream is still flowing (the pause shapes load only)."""
    counters = [Counter(name=f"c{i}", actor=ACTOR) for i in range(aggregates)]
    for chunk in range(0, aggregates, 50):
        app.save(*counters[chunk : chunk + 50])
    for _ in range(events_each - 1):
        time.sleep(pause_s)
        for chunk in range(0, aggregates, 50):
            for c in counters[chunk : chunk + 50]:
                c.increment(actor=ACTOR)
            app.save(*counters[chunk : chunk + 50])
    done.set()


@pytest.mark.slow
def test_sigkill_of_the_relay_at_random_moments_loses_no_event_and_keeps_each_aggregates_order(
    store, kafka_bootstrap, unique, tmp_path
):
    app, url = store
    prefix = f"test-relay-{unique}"
    env = _relay_env(url, prefix, kafka_bootstrap)
    log = tmp_path / "relay.log"
    done = threading.Event()
    writer = threading.Thread(
        target=_write_stream,
        args=(app,),
        kwargs={"aggregates": 500, "events_each": 20, "done": done},
    )
    rng = random.Random(unique)
    relay = manage("relay", "--batch-size", "300", env=env, log=log)
    writer.start()
    kills = 0
    try:
        while not done.is_set() or kills < 5:
            time.sleep(
                rng.uniform(1.0, 4.0)
            )  # a random instant to kill at, not a wait for a result
            kill(relay)
            kills += 1
            relay = manage("relay", "--batch-size", "300", env=env, log=log)
        writer.join()
        total = app.max_position()
        assert total == 10_000

        def everything_published() -> bool:
            _, markers = read_topic(kafka_bootstrap, Topics(prefix).events)
            return bool(markers) and max(markers.values()) >= total

        wait_until(
            everything_published,
            timeout_s=120,
            interval_s=1,
            what="the relay to publish all events",
        )
    finally:
        kill(relay)

    events, _ = read_topic(kafka_bootstrap, Topics(prefix).events)
    assert {e["position"] for e in events} == set(range(1, total + 1))
    assert_per_aggregate_order(events)
    assert kills >= 5


def test_a_second_relay_waits_while_the_first_is_active(
    any_store, kafka_bootstrap, unique, tmp_path
):
    app, url = any_store
    prefix = f"test-relay-{unique}"
    env = _relay_env(url, prefix, kafka_bootstrap)
    first = manage("relay", env=env, log=tmp_path / "first.log")
    second = None
    try:
        counter = Counter(name="one", actor=ACTOR)
        app.save(counter)
        wait_until(
            lambda: max(read_topic(kafka_bootstrap, Topics(prefix).events)[1].values() or [0]) >= 1,
            timeout_s=60,
            what="the first relay to publish",
        )
        second = manage("relay", env=env, log=tmp_path / "second.log")
        wait_until(
            lambda: b"waiting" in (tmp_path / "second.log").read_bytes(),
            timeout_s=30,
            what="the second relay to report that it waits",
        )
        kill(first)
        counter.increment(actor=ACTOR)
        app.save(counter)
        wait_until(
            lambda: max(read_topic(kafka_bootstrap, Topics(prefix).events)[1].values() or [0]) >= 2,
            timeout_s=60,
            what="the second relay to take over",
        )
    finally:
        kill(first)
        if second is not None:
            kill(second)
    events, _ = read_topic(kafka_bootstrap, Topics(prefix).events)
    assert sorted({e["aggregate_version"] for e in events}) == [1, 2]
