"""`python manage.py retention [--as-of YYYY-MM-DD] [--daily]`: destroy the closed cases whose
retention ended (docs/design.md, "Retention"). Prints the run's answer as one JSON line: case
ids only, never personal data. `--daily` runs now and then every day at 02:00 Asia/Shanghai
until stopped (`make run` starts it so)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import orjson
from django.core.management.base import BaseCommand, CommandError

from api import wiring
from domain.calendar import SHANGHAI
from domain.errors import InvalidInput

DAILY_AT_HOUR = 2


def seconds_until_next_run(now: datetime, hour: int = DAILY_AT_HOUR) -> float:
    """From ``now`` to the next ``hour``:00 in Asia/Shanghai."""
    local = now.astimezone(SHANGHAI)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


class Command(BaseCommand):
    help = "Destroy the closed cases whose action date under a destroy rule is due."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--daily", action="store_true", help="run every day at 02:00")

    def handle(self, *args, **opts):
        app = wiring.application()
        if opts["daily"] and opts["as_of"] is not None:
            raise CommandError("--daily runs as of each day itself; give no --as-of")
        while True:
            try:
                result = app.run_retention(as_of=opts["as_of"]).body
            except InvalidInput as e:
                raise CommandError(str(e)) from None
            self.stdout.write(orjson.dumps(result).decode())
            self.stdout.flush()
            if not opts["daily"]:
                return
            time.sleep(seconds_until_next_run(datetime.now(SHANGHAI)))
