"""Read-your-writes on request (a guarantee of docs/design.md), and the read side's shared client.

A command answers the event-store `position` of its last event. A query given
`consistent_after=<position>` polls the projections' checkpoints until the watermark of every
projection it reads (the minimum over its partitions, advanced only after the bulk was
acknowledged and refreshed) has reached that position, or gives up after a bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import lru_cache

from api.config import get_config

MAX_WAIT_S = 5.0
POLL_INTERVAL_S = 0.05


@lru_cache(maxsize=4)
def _read_models_for(es_url: str, index_prefix: str, ca_certs: str):
    from search.client import make_client
    from search.indices import Names
    from search.store import ReadModels

    return ReadModels(make_client(es_url, timeout_s=30, ca_certs=ca_certs), Names(index_prefix))


def read_models():
    """The process's read models for the current configuration (one client, shared)."""
    config = get_config()
    return _read_models_for(config.es_url, config.index_prefix, config.es_ca_certs)


def wait_for_position(
    position: int | None,
    projections: Iterable[str],
    *,
    watermark: Callable[[str, int], int] | None = None,
    partitions: int | None = None,
    timeout_s: float = MAX_WAIT_S,
    interval_s: float = POLL_INTERVAL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True once every projection's watermark is >= `position`; False after `timeout_s`.

    Without a position there is nothing to wait for (every watermark is >= 0).
    """
    if not position or position <= 0:
        return True
    if watermark is None:
        watermark = read_models().watermark
    if partitions is None:
        partitions = get_config().partitions
    pending = list(dict.fromkeys(projections))
    deadline = clock() + timeout_s
    while True:
        pending = [p for p in pending if watermark(p, partitions) < position]
        if not pending:
            return True
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(interval_s, remaining))
