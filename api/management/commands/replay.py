"""`python manage.py replay PROJECTION --from-position N`: reprocess from a position."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from api.config import get_config
from consumers.replay import rewind_group
from consumers.topics import Topics
from projections import PROJECTIONS


class Command(BaseCommand):
    help = (
        "Rewind a projection's consumer group so it reprocesses every event after a position "
        "(stop its projectors first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("projection", choices=sorted(PROJECTIONS) + ["all"])
        parser.add_argument("--from-position", type=int, required=True, dest="position")

    def handle(self, *args, **opts):
        if opts["position"] < 0:
            raise CommandError("--from-position must be >= 0")
        config = get_config()
        names = sorted(PROJECTIONS) if opts["projection"] == "all" else [opts["projection"]]
        for name in names:
            offsets = rewind_group(
                bootstrap=config.kafka_bootstrap,
                topic=Topics(config.topic_prefix).events,
                group_id=f"{config.topic_prefix}.projector.{name}",
                after_position=opts["position"],
            )
            self.stdout.write(f"{name}: will reprocess from offsets {offsets}")
