"""Plain values that cross the store's boundary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from domain.store.hashing import SCHEME_HEADS


@dataclass(frozen=True)
class IdempotencyRequest:
    """A client's idempotency key, scoped (caller, route), with a hash of its body."""

    scope: str
    key: str
    request_hash: str


@dataclass(frozen=True)
class CommitResult:
    position: int | None
    status: int | None = None
    body: dict[str, Any] | None = None
    replayed: bool = False


@dataclass(frozen=True)
class LoggedEvent:
    """One row of the notification log, as the relay needs it."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    prev_hash: str | None
    hash: str


@dataclass(frozen=True)
class StoredAnswer:
    status: int | None
    body: dict[str, Any] | None
    position: int | None


@dataclass(frozen=True)
class Checkpoint:
    id: int
    created_at: str
    position: int
    streams: int
    events: int
    heads_hash: str  # the signed digest of the heads: the root for buckets16-v2
    signature: str
    scheme: str = SCHEME_HEADS


@dataclass(frozen=True)
class BrokenLink:
    aggregate_id: str
    version: int
    reason: str


@dataclass
class CheckpointReport:
    id: int
    position: int
    created_at: str
    ok: bool
    scheme: str = SCHEME_HEADS
    problems: list[str] = field(default_factory=list)
    # buckets whose recomputed hash differs from the signed tree (id prefixes, 4 hex digits)
    buckets: list[str] = field(default_factory=list)


@dataclass
class VerifyReport:
    checked: int
    broken: list[BrokenLink]
    checkpoint: CheckpointReport | None

    @property
    def ok(self) -> bool:
        return not self.broken and (self.checkpoint is None or self.checkpoint.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "broken": [asdict(link) for link in self.broken],
            "checkpoint": asdict(self.checkpoint) if self.checkpoint else None,
        }
