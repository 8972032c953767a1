"""`python manage.py relay`: publish the event store's log (and the access log) to Kafka until stopped.

The active relay (the one holding the store's relay lock) also does the store's periodic
upkeep: a signed checkpoint every few minutes and purging expired idempotency keys.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta

from django.core.management.base import BaseCommand

from api.config import get_config
from api.wiring import make_application, relay_lock
from consumers.heartbeat import Heartbeat
from consumers.relay import Relay, access_log_relay
from consumers.topics import Topics

log = logging.getLogger(__name__)


class Stopped(Exception):
    """The relay is stopping: the upkeep round in progress is abandoned."""


class DutyCycle:
    """Called between chunks of a long task: sleeps so that the task is busy at most `duty`
    of the wall time (at 0.25, three times as long as the chunk since the previous call),
    and raises `Stopped` at once when `stop` is set.

    At a million cases a full pass (a store's first checkpoint) at full speed takes one of
    this machine's two cores for ~16 s (48 s with a cold page cache), and while it ran,
    search at 50 req/s went from p99 132-235 ms to 4.5-5.7 s; paced at 0.25 it takes ~75 s
    and the p99 was 217 ms (loadtests/RESULTS.md). Nothing waits for a checkpoint, so slower
    costs nothing.
    """

    def __init__(self, stop: threading.Event, duty: float = 0.25, clock=time.monotonic) -> None:
        if not 0 < duty <= 1:
            raise ValueError("duty must be in (0, 1]")
        self.stop = stop
        self.duty = duty
        self.clock = clock
        self.since = clock()

    def __call__(self) -> None:
        busy = self.clock() - self.since
        if self.stop.wait(busy * (1 - self.duty) / self.duty):
            raise Stopped
        self.since = self.clock()


class Upkeep:
    """Checkpoint and purge every `every_s`, in a thread of its own, the checkpoint's reads
    of stream heads paced by a `DutyCycle`.

    A checkpoint reads the heads of the buckets written since the previous one, but the
    first one of a store reads every stream's head; run from the relay's loop, as it once
    was, that pass held back every event for that long every five minutes, which the
    freshness figures showed as a p99 of seconds.
    """

    def __init__(
        self,
        app,
        *,
        every_s: float = 60.0,
        checkpoint_every: timedelta = timedelta(minutes=5),
        duty: float = 0.25,
    ):
        self.app = app
        self.every_s = every_s
        self.checkpoint_every = checkpoint_every
        self.duty = duty

    def once(self, stop: threading.Event | None = None) -> None:
        pause = DutyCycle(stop or threading.Event(), self.duty)
        try:
            checkpoint = self.app.maybe_write_checkpoint(self.checkpoint_every, pause=pause)
            if checkpoint is not None:
                log.info("signed checkpoint at position %d", checkpoint.position)
            self.app.purge_idempotency_keys()
        except Stopped:
            log.info("checkpoint abandoned: the relay is stopping")
        except Exception:  # upkeep must never stop the relay; the next round tries again
            log.exception("event store upkeep failed")

    def run(self, stop: threading.Event) -> None:
        """At once, then every `every_s` until `stop` is set."""
        while not stop.is_set():
            self.once(stop)
            stop.wait(self.every_s)


class Command(BaseCommand):
    help = "Relay every stored event to Kafka in position order (one active relay per store)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, **opts):
        config = get_config()
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        app = make_application(config)
        heartbeat = Heartbeat(config.heartbeat_file)
        with relay_lock(app, config, stop=stop) as acquired:
            if not acquired:
                return
            upkeep = threading.Thread(target=Upkeep(app).run, args=(stop,), name="relay-upkeep")
            upkeep.start()
            topics = Topics(config.topic_prefix)
            events = Relay(
                read_log=app.read_log,
                mapper=app.sealed_mapper,
                bootstrap=config.kafka_bootstrap,
                topic=topics.events,
                partitions=config.partitions,
                batch_size=opts["batch_size"],
                on_tick=heartbeat,
                driver=config.kafka_driver,
            )
            access = access_log_relay(
                app,
                bootstrap=config.kafka_bootstrap,
                topic=topics.access,
                partitions=config.partitions,
                batch_size=opts["batch_size"],
                driver=config.kafka_driver,
            )
            side = threading.Thread(target=access.run, args=(stop,), name="relay-access")
            side.start()
            try:
                events.run(stop)
            finally:  # whatever ended the main loop ends the other two
                stop.set()
                side.join()
                upkeep.join()
