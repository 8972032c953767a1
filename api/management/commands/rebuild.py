"""`python manage.py rebuild cases [--drop-old]`: rebuild a read model from offset 0 and swap."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from api.wiring import make_projector, make_read_models
from consumers.rebuild import rebuild
from projections import PROJECTIONS


class Command(BaseCommand):
    help = (
        "Build a new index version of a read model from the whole event topic, then swap its alias."
    )

    def add_arguments(self, parser):
        parser.add_argument("projection", choices=sorted(PROJECTIONS))
        parser.add_argument(
            "--drop-old", action="store_true", help="delete the previous index after the swap"
        )

    def handle(self, *args, **opts):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            result = rebuild(
                make_projector=make_projector,
                name=opts["projection"],
                stop=stop,
                progress=lambda line: self.stdout.write(line),
            )
        except InterruptedError as exc:
            raise CommandError(str(exc)) from None
        if opts["drop_old"] and result.old_index:
            make_read_models().drop_index(result.old_index)
            self.stdout.write(f"dropped {result.old_index}")
        self.stdout.write(
            f"rebuilt {opts['projection']}: {result.events} events read, {result.applied} applied, "
            f"now serving {result.new_index}"
        )
