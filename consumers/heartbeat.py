"""A liveness signal for long-running workers: touch a file at most once a second.

Container health checks read the file's age (docker/compose.yml); a worker stuck in a loop
that never returns to its tick stops touching it and is marked unhealthy.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


class Heartbeat:
    def __init__(self, path: str | os.PathLike | None, *, every_s: float = 1.0) -> None:
        self.path = Path(path) if path else None
        self.every_s = every_s
        self._last = 0.0
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self.path.touch()
            self._last = now
