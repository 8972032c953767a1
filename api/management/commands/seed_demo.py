"""`python manage.py seed_demo --cases N`: realistic Sichuan demo data through the commands."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from api.wiring import make_application
from domain.demo import DemoSeeder


class Command(BaseCommand):
    help = (
        "Load deterministic demo data (catalogue, parties, cases through their lifecycle, fines)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        app = make_application()
        seeder = DemoSeeder(app, seed=opts["seed"])
        with tqdm(
            total=opts["cases"], unit="case", disable=opts["no_progress"], file=self.stderr
        ) as bar:
            for _ in seeder.run(cases=opts["cases"]):
                bar.update(1)
        # What the run yields after each case is the seeder's own running count.
        progress = seeder.progress
        self.stdout.write(
            f"seeded {progress.items} items, {progress.cases} cases, {progress.violations} violations "
            f"({progress.commands} commands); event store at position {app.max_position()}"
        )
