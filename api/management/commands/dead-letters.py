"""`python manage.py dead-letters list|replay AGGREGATE_ID`.

Django names a command after its module's file, hence the hyphen: the command is loaded by
name, never imported with an `import` statement."""

from __future__ import annotations

from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from api.config import get_config
from api.wiring import make_application, make_read_models
from consumers.dead_letters import list_dead_letters, replay
from consumers.topics import Topics


class Command(BaseCommand):
    help = "List dead letters, or replay one aggregate by rebuilding its document from the event store."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "list", help="print every dead letter (position, projection, aggregate, error)"
        )
        again = sub.add_parser(
            "replay", help="rebuild one aggregate's document from its whole stream"
        )
        again.add_argument("aggregate_id")

    def handle(self, *args, **opts):
        config = get_config()
        if opts["action"] == "list":
            letters = list_dead_letters(
                config.kafka_bootstrap, Topics(config.topic_prefix).dead_letters
            )
            for d in letters:
                self.stdout.write(
                    f"{d['position']}\t{d['error']['projection']}\t{d['aggregate_type']}\t"
                    f"{d['aggregate_id']}\tv{d['aggregate_version']}\t{d['event_type']}\t"
                    f"{d['error']['message']}"
                )
            self.stdout.write(f"{len(letters)} dead letter(s)")
            return
        try:
            aggregate_id = UUID(opts["aggregate_id"])
        except ValueError:
            raise CommandError("aggregate_id must be a UUID") from None
        try:
            result = replay(make_application(config), make_read_models(config), aggregate_id)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        state = "still degraded: " + "; ".join(result.errors) if result.degraded else "healthy"
        self.stdout.write(
            f"replayed {result.projection} document {result.aggregate_id} at v{result.version}: {state}"
        )
