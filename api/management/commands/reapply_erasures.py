"""`python manage.py reapply_erasures`: after a restore of the event store, delete again the
keys of every person erased since the backup (read from the event topic; docs/design.md,
"Personal data"). Run it before the system serves again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from api.config import get_config
from api.wiring import make_application
from consumers.erasures import reapply_erasures
from consumers.topics import Topics


class Command(BaseCommand):
    help = "Re-apply every erasure on the event topic to the (restored) event store's keys."

    def handle(self, *args, **opts):
        config = get_config()
        app = make_application()
        try:
            changed = reapply_erasures(
                app, bootstrap=config.kafka_bootstrap, topic=Topics(config.topic_prefix).events
            )
        finally:
            app.close()
        self.stdout.write(f"re-applied erasures: {changed} data keys deleted or restricted")
