"""glibc's allocator, told to give memory back: for a process of many threads and large,
short-lived buffers (`manage.py project all`).

Left to its defaults, glibc gives every thread that allocates an arena of its own (up to
8 per core) and raises its mmap threshold to the largest block freed so far, so that a
multi-megabyte fetch response, batch or bulk body soon comes from an arena's heap instead of
its own mapping, and the freed space stays resident, scattered over a dozen arenas: the
process's RSS crept up with the events it had read (loadtests/RESULTS.md). Two arenas and a
fixed 1 MiB mmap threshold keep each large buffer in a mapping returned to the system when it
is freed. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def bound_malloc(*, arenas: int = 2, mmap_threshold: int = 1 << 20) -> bool:
    """Call before the threads start (an arena once made is kept). True if glibc took it."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    done = all(
        mallopt(option, value) == 1
        for option, value in (
            (M_ARENA_MAX, arenas),
            (M_MMAP_THRESHOLD, mmap_threshold),
            (M_TRIM_THRESHOLD, 2 * mmap_threshold),
        )
    )
    if not done:
        log.warning("mallopt refused a setting: the allocator keeps its defaults")
    return done
