"""At most one active relay per event store: the second one started waits.

SQLite: an exclusive `flock` on a file next to the database (released by the kernel when
the holder dies, also on SIGKILL). PostgreSQL: a session-level advisory lock (released
when the holder's connection closes, also when the process is killed).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def file_lock(path: Path, *, stop: threading.Event, poll_s: float = 0.5) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("another relay holds %s; waiting", path)
                    waited = True
                if stop.wait(poll_s):
                    yield False
                    return
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield True
    finally:
        os.close(fd)


@contextlib.contextmanager
def advisory_lock(
    conninfo: str, name: str, *, stop: threading.Event, poll_s: float = 0.5
) -> Iterator[bool]:
    import psycopg

    key = zlib.crc32(name.encode())
    with psycopg.connect(conninfo, autocommit=True) as conn:
        waited = False
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            if not waited:
                log.info("another relay holds advisory lock %s; waiting", name)
                waited = True
            if stop.wait(poll_s):
                yield False
                return
        try:
            yield True
        finally:
            with contextlib.suppress(Exception):
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
