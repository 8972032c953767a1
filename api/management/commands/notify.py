"""`python manage.py notify`: the notifications consumer, the dispatcher and the clock.

notify                                   consume, send and remind until stopped
notify --from-beginning --until-caught-up
                                         re-read the whole topic in a fresh group, record
                                         what was never recorded, stop at the end (sends
                                         nothing: the running `notify` sends what is new)
"""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError

from api.config import get_config, notify_problems
from api.wiring import make_dispatcher, make_notifier, make_read_models, make_reminders
from consumers.heartbeat import Heartbeat
from consumers.notify.consumer import caught_up


class Command(BaseCommand):
    help = "Turn events into notifications and send them (inbox, e-mail, SMS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-beginning",
            action="store_true",
            help="read the topic from offset 0 in a fresh consumer group",
        )
        parser.add_argument(
            "--until-caught-up",
            action="store_true",
            help="stop once every partition is read to its end (records only, sends nothing)",
        )

    def handle(self, *args, **opts):
        config = get_config()
        problems = notify_problems(config)
        if problems:
            raise CommandError("; ".join(problems))
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        overrides = {}
        if opts["from_beginning"]:
            overrides = {
                "group_id": f"{config.topic_prefix}.notify.reread.{time.time_ns()}",
                "progress_name": "notify-reread",
            }
        notifier = make_notifier(config, on_tick=Heartbeat(config.heartbeat_file), **overrides)
        if opts["until_caught_up"]:
            notifier.run(stop, until=caught_up)
            self.stdout.write(
                f"notify: {notifier.stats.events} events read, {notifier.stats.notified} "
                f"notifications recorded, {notifier.stats.duplicates} already recorded"
            )
            return
        threads = [
            threading.Thread(target=notifier.run, args=(stop,), name="notify-consumer"),
            threading.Thread(
                target=make_dispatcher(config).run, args=(stop,), name="notify-dispatcher"
            ),
            threading.Thread(
                target=make_reminders(config, make_read_models(config)).run,
                args=(stop,),
                name="notify-clock",
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
