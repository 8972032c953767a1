"""Kafka topic names, derived from one configurable prefix (tests use their own)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    prefix: str = "casetrack"

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}.events.dlq"

    @property
    def access(self) -> str:
        return f"{self.prefix}.access"
