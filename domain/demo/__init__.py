"""Deterministic demo data for Sichuan, loaded through the application services.

Everything is generated from one seed and streamed: the catalogue, the parties, and the
cases with their whole lifecycle (materials, acceptance, fees, suspensions, extensions,
decisions, licences, ratings, withdrawals), plus violations with their fines. Nothing is
kept in memory beyond the catalogue and a few counters, so a benchmark can seed a million
cases. Content (codes, names, identity numbers, statuses, dates, case numbers) depends
only on the seed and the order of the commands; aggregate UUIDs are random.

Usage::

    seeder = DemoSeeder(app, seed=2026)
    for progress in seeder.run(cases=1000):
        ...  # a progress bar; progress.cases counts the cases done
"""

from domain.demo.people import business, person
from domain.demo.seeder import DemoClock, DemoProgress, DemoSeeder
from domain.demo.templates import (
    TEMPLATES,
    VIOLATIONS,
    ItemTemplate,
    ViolationTemplate,
    catalogue,
)

__all__ = [
    "TEMPLATES",
    "VIOLATIONS",
    "DemoClock",
    "DemoProgress",
    "DemoSeeder",
    "ItemTemplate",
    "ViolationTemplate",
    "business",
    "catalogue",
    "person",
]
