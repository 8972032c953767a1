"""`python manage.py relay`: publish the event store's log to Kafka until stopped."""
from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from api.config import get_config
from api.wiring import make_application, relay_lock
from consumers.relay import Relay
from consumers.topics import Topics


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
        with relay_lock(app, config, stop=stop) as acquired:
            if not acquired:
                return
            relay = Relay(read_log=app.read_log, mapper=app.mapper, bootstrap=config.kafka_bootstrap,
                          topic=Topics(config.topic_prefix).events, partitions=config.partitions,
                          batch_size=opts["batch_size"])
            relay.run(stop)
