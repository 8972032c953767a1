"""`python manage.py project cases|payments|...|all`: run projectors until stopped."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from api.config import get_config
from api.wiring import make_projector
from consumers.heartbeat import Heartbeat
from consumers.malloc import bound_malloc
from projections import PROJECTIONS


class Command(BaseCommand):
    help = "Project the event topic into Elasticsearch read models (one consumer group per projection)."

    def add_arguments(self, parser):
        parser.add_argument(
            "names", nargs="+", help=f"projections: {', '.join(PROJECTIONS)} or 'all'"
        )

    def handle(self, *args, **opts):
        names = list(PROJECTIONS) if opts["names"] == ["all"] else opts["names"]
        unknown = [n for n in names if n not in PROJECTIONS]
        if unknown:
            raise CommandError(f"unknown projection(s): {', '.join(unknown)}")
        bound_malloc()  # before the projectors' threads: their RSS must not creep (consumers/malloc.py)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        heartbeat = Heartbeat(get_config().heartbeat_file)
        threads = [
            threading.Thread(
                target=make_projector(name, on_tick=heartbeat).run,
                args=(stop,),
                name=f"projector-{name}",
            )
            for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
