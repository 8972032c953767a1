"""Read-your-writes on request (a guarantee of docs/design.md), and the read side's shared client.

A command answers the event-store `position` of its last event. A query given
`consistent_after=<position>` polls the projections' checkpoints until the watermark of every
projection it reads (the minimum over its partitions, advanced only after the bulk was
acknowledged and refreshed) has reached that position, or gives up after a bound.

The wait is bounded in time and in work (docs/api.md, "Consistency"):
- a position beyond the event store's head can never be reached: 422 at once;
- polls back off (25 ms, growing to 250 ms), so one waiter sends about 25 reads in 5 s;
- the waiters of a process share one checkpoint read per projection every 25 ms, however
  many they are.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable
from functools import lru_cache

from api.config import get_config
from domain.errors import InvalidInput

MAX_WAIT_S = 5.0
POLL_INTERVAL_S = 0.025
MAX_POLL_INTERVAL_S = 0.25
BACKOFF = 1.5
SHARED_READ_AGE_S = 0.025


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


class SharedWatermarks:
    """Watermark reads shared by every waiter of a process.

    A read younger than `max_age_s` is answered from memory, and concurrent waiters on one
    projection wait for the one read in flight instead of sending their own. A watermark only
    grows, so an answer from memory can delay a waiter by `max_age_s` but never lets one
    through early.
    """

    def __init__(
        self,
        read: Callable[[str, int], int],
        *,
        max_age_s: float = SHARED_READ_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._max_age_s = max_age_s
        self._clock = clock
        self._seen: dict[tuple[str, int], tuple[int, float]] = {}
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._guard = threading.Lock()

    def _fresh(self, key: tuple[str, int]) -> int | None:
        seen = self._seen.get(key)
        if seen is not None and self._clock() - seen[1] <= self._max_age_s:
            return seen[0]
        return None

    def __call__(self, projection: str, partitions: int) -> int:
        key = (projection, partitions)
        value = self._fresh(key)
        if value is not None:
            return value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            value = self._fresh(key)  # another waiter read it while this one waited
            if value is None:
                started = self._clock()
                value = self._read(projection, partitions)
                self._seen[key] = (value, started)
            return value


@lru_cache(maxsize=4)
def _watermarks_for(es_url: str, index_prefix: str, ca_certs: str) -> SharedWatermarks:
    return SharedWatermarks(_read_models_for(es_url, index_prefix, ca_certs).watermark)


def shared_watermarks() -> SharedWatermarks:
    config = get_config()
    return _watermarks_for(config.es_url, config.index_prefix, config.es_ca_certs)


class StoreHead:
    """The event store's last position as a process last read it.

    A position at or below the last value read is accepted from memory (the head only grows).
    A position above it is refused only after a read that started after the request arrived,
    so a position that a command has just answered, on any host, is never refused; concurrent
    requests above the head share that read.
    """

    def __init__(
        self, read: Callable[[], int], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._read = read
        self._clock = clock
        self._value = 0
        self._read_started = float("-inf")
        self._lock = threading.Lock()

    def covers(self, position: int) -> bool:
        if position <= self._value:
            return True
        arrived = self._clock()
        with self._lock:
            if self._read_started <= arrived:
                started = self._clock()
                self._value = max(self._value, self._read())
                self._read_started = started
            return position <= self._value


_heads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_heads_lock = threading.Lock()


def store_head() -> StoreHead:
    """The head of the process's application (one per application: tests swap it)."""
    from api import wiring

    app = wiring.application()
    with _heads_lock:
        head = _heads.get(app)
        if head is None:
            head = _heads[app] = StoreHead(app.max_position)
    return head


def check_position(position: int, covers: Callable[[int], bool] | None = None) -> None:
    """422 on `consistent_after` for a position the event store has not reached."""
    if not (covers or store_head().covers)(position):
        raise InvalidInput(
            "consistent_after",
            "is beyond the last position of the event store: pass a position a command answered",
        )


def wait_for_position(
    position: int | None,
    projections: Iterable[str],
    *,
    watermark: Callable[[str, int], int] | None = None,
    head: Callable[[int], bool] | None = None,
    partitions: int | None = None,
    timeout_s: float = MAX_WAIT_S,
    interval_s: float = POLL_INTERVAL_S,
    max_interval_s: float = MAX_POLL_INTERVAL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True once every projection's watermark is >= `position`; False after `timeout_s`.

    Without a position there is nothing to wait for (every watermark is >= 0). A position
    beyond the event store's head (`head(position)` false) raises `InvalidInput` at once.
    """
    if not position or position <= 0:
        return True
    check_position(position, head)
    if watermark is None:
        watermark = shared_watermarks()
    if partitions is None:
        partitions = get_config().partitions
    pending = list(dict.fromkeys(projections))
    deadline = clock() + timeout_s
    interval = interval_s
    while True:
        pending = [p for p in pending if watermark(p, partitions) < position]
        if not pending:
            return True
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(interval, remaining))
        interval = min(interval * BACKOFF, max_interval_s)
