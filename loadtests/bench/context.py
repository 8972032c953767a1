"""What every stage of one run shares: its settings, its names, its read models, its progress."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from consumers.topics import Topics
from search.store import ReadModels


@dataclass
class RunContext:
    args: argparse.Namespace
    progress: Callable[[str], None]
    run_id: str  # the prefix of the run's topics, consumer groups, indices and schemas
    work: Path  # the run's folder (store file, process logs)
    read_models: ReadModels
    topics_made: list[str] = field(default_factory=list)

    @property
    def topics(self) -> Topics:
        return Topics(self.run_id)
