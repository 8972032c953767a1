"""Small tools of the bench: statistics, waiting, process memory, CPU meters, a free port,
progress lines."""

from __future__ import annotations

import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def timed(step: Callable[[], Any]) -> float:
    """Seconds `step()` took."""
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def node_cpu_s(client) -> float:
    """CPU seconds the Elasticsearch nodes have used so far (every thread of each)."""
    nodes = client.nodes.stats(metric="process")["nodes"].values()
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes) / 1000


def host_cpu_s() -> dict[str, float] | None:
    """This host's CPU seconds so far by kind, over all its cores (Linux's /proc/stat; None
    elsewhere). Beside the node's own CPU it tells a busy kernel (page cache writeback and
    reclaim), waits on the disk and a virtual machine's stolen time from our processes' work."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) / os.sysconf("SC_CLK_TCK") for v in first[1:9]
    )
    return {
        "user": user + nice,
        "system": system + irq + softirq,
        "iowait": iowait,
        "steal": steal,
        "idle": idle,
    }


def host_disk_mib() -> dict[str, float] | None:
    """This host's page cache traffic so far, in MiB (Linux's /proc/vmstat; None elsewhere):
    what was read from the disks, and what of it had been in the page cache before and was
    evicted (`workingset_refault_file`). A refault is a read the cache would have served had
    its pages been kept: memory reclaim, or a virtual machine's own proactive reclaim
    (DAMON), dropping what a process still reads."""
    try:
        counters = dict(line.split() for line in Path("/proc/vmstat").read_text().splitlines())
    except OSError:
        return None
    page_mib = os.sysconf("SC_PAGE_SIZE") / 2**20
    return {
        "read": int(counters["pgpgin"]) / 1024,  # KiB
        "refault": int(counters.get("workingset_refault_file", 0)) * page_mib,
    }


def threads_cpu_s(pid: int | str = "self") -> dict[int, tuple[str, float]] | None:
    """Each thread of process `pid`: its name and CPU seconds so far, by thread id (Linux's
    /proc; None when the process cannot be read). A thread that ends meanwhile is left out."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    threads: dict[int, tuple[str, float]] = {}
    for tid in tids:
        with suppress(OSError):
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            name, fields = (
                stat[stat.index("(") + 1 : stat.rindex(")")],
                stat[stat.rindex(")") + 2 :],
            )
            utime, stime = fields.split()[11:13]
            threads[int(tid)] = (name, (int(utime) + int(stime)) / tick)
    return threads


def jit_cpu_s(pid: int) -> dict[int, float] | None:
    """CPU seconds so far of each JIT compiler thread of the JVM `pid`, by thread id (None when
    the process cannot be read). HotSpot names them "C1/C2 CompilerThread<n>" (the kernel keeps
    15 characters) and starts and stops them as its queue of methods to compile grows and
    shrinks."""
    threads = threads_cpu_s(pid)
    if threads is None:
        return None
    return {
        tid: cpu
        for tid, (name, cpu) in threads.items()
        if name.startswith(("C1 CompilerThre", "C2 CompilerThre"))
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def wait_for(
    condition: Callable[[], bool], *, timeout_s: float, what: str, every_s: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def _status_mb(pid: int, field: str) -> float:
    """A `/proc/<pid>/status` memory field of a live process, in MiB (0 when it is gone)."""
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_peak_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB."""
    return _status_mb(pid, "VmHWM")


def rss_now_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Progress:
    """One line per step on stderr, so the table on stdout stays clean."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"[{time.monotonic() - self.started:7.1f} s] {message}\n")
            sys.stderr.flush()
