"""Python's cyclic garbage collector, paused while the projectors decode and fold."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_paused_lock = threading.Lock()
_paused = 0  # projectors (threads of one `project all` process) inside `collector_paused`
_resume = False  # whether the collector was enabled when the first of them paused it
_collected_at = 0.0  # when the collector last ran, or the pause began
# Overlapping pauses (seven projectors catching up in one process) could keep the collector off
# for as long as the catch-up lasts; cycles made meanwhile (errors' tracebacks, the Kafka
# client's internals) are then collected by hand at most this often.
MAX_PAUSE_S = 10.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is decoded and folded.

    Decoding and folding make a few dozen dicts and lists an event, all acyclic (JSON) and
    freed by reference counting; the collector, triggered every 700 allocations, scanned them
    for nothing: a fifth of the decode and fold's CPU (loadtests/RESULTS.md, fifth session).
    Nested and concurrent uses (several projectors in one process) share one pause; the
    collector is re-enabled, if it was enabled before, when the last one leaves, and its next
    run collects whatever cycles were made meanwhile. While pauses overlap without a break, a
    projector entering one runs the collector itself once `MAX_PAUSE_S` have passed."""
    global _paused, _resume, _collected_at
    with _paused_lock:
        if _paused == 0:
            _resume = gc.isenabled()
            _collected_at = time.monotonic()
            gc.disable()
        elif _resume and time.monotonic() - _collected_at > MAX_PAUSE_S:
            gc.collect()
            _collected_at = time.monotonic()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
