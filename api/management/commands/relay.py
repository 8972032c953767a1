"""`python manage.py relay`: publish the event store's log (and the access log) to Kafka until stopped.

The active relay (the one holding the store's relay lock) also does the store's periodic
upkeep: a signed checkpoint every few minutes and purging expired idempotency keys.
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

from django.core.management.base import BaseCommand

from api.config import get_config
from api.wiring import make_application, relay_lock
from consumers.heartbeat import Heartbeat
from consumers.relay import Relay, access_log_relay
from consumers.topics import Topics

log = logging.getLogger(__name__)


class Upkeep:
    """Checkpoint and purge every `every_s`, in a thread of its own.

    Signing a checkpoint reads every stream's head (12 s for 1.5 million streams here); run
    from the relay's loop, as it once was, it held back every event for that long every five
    minutes, which the freshness figures showed as a p99 of seconds.
    """

    def __init__(self, app, *, every_s: float = 60.0, checkpoint_every: timedelta = timedelta(minutes=5)):
        self.app = app
        self.every_s = every_s
        self.checkpoint_every = checkpoint_every

    def once(self) -> None:
        try:
            checkpoint = self.app.maybe_write_checkpoint(self.checkpoint_every)
            if checkpoint is not None:
                log.info("signed checkpoint at position %d", checkpoint.position)
            self.app.purge_idempotency_keys()
        except Exception:  # upkeep must never stop the relay; the next round tries again
            log.exception("event store upkeep failed")

    def run(self, stop: threading.Event) -> None:
        """At once, then every `every_s` until `stop` is set."""
        while not stop.is_set():
            self.once()
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
            events = Relay(read_log=app.read_log, mapper=app.mapper, bootstrap=config.kafka_bootstrap,
                           topic=topics.events, partitions=config.partitions,
                           batch_size=opts["batch_size"], on_tick=heartbeat, driver=config.kafka_driver)
            access = access_log_relay(app, bootstrap=config.kafka_bootstrap, topic=topics.access,
                                      partitions=config.partitions, batch_size=opts["batch_size"],
                                      driver=config.kafka_driver)
            side = threading.Thread(target=access.run, args=(stop,), name="relay-access")
            side.start()
            try:
                events.run(stop)
            finally:  # whatever ended the main loop ends the other two
                stop.set()
                side.join()
                upkeep.join()
