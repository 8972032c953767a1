"""Processes of ours (the relay, the projectors, an API worker) and stage 7, memory.

The relay and projector processes are started as `make run` starts them, fill the run's topic
and read models, and keep running for the freshness stage; their peak RSS (VmHWM) is read at
the end. An API worker (gunicorn, one worker) is started on the run's store and read models,
driven with a few hundred requests, and measured the same way.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from loadtests.bench.config import ROOT
from loadtests.bench.context import RunContext
from loadtests.bench.relay import count_topic_events
from loadtests.bench.tools import free_port, rss_now_mb, rss_peak_mb, wait_for
from projections import EVENT_PROJECTIONS

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the bench dies, however it dies (a SIGKILL, a
    harness's timeout), so no relay or projector outlives its run on the shared servers.
    Linux only; elsewhere the `finally` below is all there is."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def process(args: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A Python process of ours in its own session, its output in `log`; terminated (then
    killed) with its children on exit."""
    handle = open(log, "ab")
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        handle.close()


def relay_process(
    run: RunContext, env: dict[str, str], processes: ExitStack, *, total: int
) -> tuple[subprocess.Popen, dict[str, Any]]:
    """The relay process fills the run's own topic (and keeps running for freshness)."""
    topic = run.topics.events
    run.topics_made.append(topic)
    started = time.perf_counter()
    relay = processes.enter_context(
        process(["manage.py", "relay"], env=env, log=run.work / "relay.log")
    )
    wait_for(
        lambda: count_topic_events(run.args.kafka, topic) >= total,
        timeout_s=run.args.stage_timeout,
        what="the relay process to publish the store",
        every_s=0.5,
    )
    return relay, {"events": total, "seconds_incl_start": time.perf_counter() - started}


def projector_processes(
    run: RunContext, env: dict[str, str], processes: ExitStack, *, total: int
) -> tuple[subprocess.Popen, dict[str, Any]]:
    """Every projection in one process, caught up with the store (and kept running)."""
    run.read_models.ensure_all()
    started = time.perf_counter()
    projectors = processes.enter_context(
        process(["manage.py", "project", "all"], env=env, log=run.work / "projectors.log")
    )
    wait_for(
        lambda: _watermark(run) >= total,
        timeout_s=run.args.stage_timeout,
        what="the projector process to catch up",
        every_s=0.5,
    )
    return projectors, {
        "projections": len(EVENT_PROJECTIONS),
        "events": total,
        "seconds_incl_start": time.perf_counter() - started,
    }


def _watermark(run: RunContext) -> int:
    """The lowest position every projection has made searchable (0 while it cannot be read)."""
    with suppress(Exception):
        return min(
            run.read_models.watermark(name, run.args.partitions) for name in EVENT_PROJECTIONS
        )
    return 0


# ---------------------------------------------------------------------- 7. memory


def memory_stage(
    run: RunContext, env: dict[str, str], *, relay: int, projector: int
) -> dict[str, Any]:
    """Peak RSS of the relay and projector processes (pids), an API worker and the bench; the
    stack's current RSS."""
    api = None
    if not run.args.skip_api:
        api = api_worker_peak(
            env,
            run.work / "api.log",
            requests=run.args.api_requests,
            ids=_some_case_ids(run),
            progress=run.progress,
        )
    return {
        "peak_rss_mb": {
            "relay": rss_peak_mb(relay),
            "projector": rss_peak_mb(projector),
            "api_worker": api,
            "bench": rss_peak_mb(os.getpid()),
        },
        "stack_rss_mb": stack_rss_mb(),
    }


def _some_case_ids(run: RunContext) -> list[str]:
    found = run.read_models.client.search(index=run.read_models.names.alias("cases"), size=20)
    return [h["_id"] for h in found["hits"]["hits"]]


def local_server_pid(name: str) -> int | None:
    """The local stack's server `name` (docker/local writes var/run/<name>.pid), if any."""
    try:
        return int((ROOT / "var" / "run" / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stack_rss_mb() -> dict[str, float]:
    """RSS of the local stack's servers, found by their pid files under var/run (when local)."""
    out: dict[str, float] = {}
    for name in ("kafka", "elasticsearch", "postgres"):
        pid = local_server_pid(name)
        if pid is not None:
            with suppress(OSError, ValueError):
                out[name] = rss_now_mb(pid)
    pg = ROOT / "var" / "postgres" / "data" / "postmaster.pid"
    if "postgres" not in out and pg.exists():
        with suppress(OSError, ValueError, PermissionError):
            out["postgres"] = rss_now_mb(int(pg.read_text().split()[0]))
    return out


def api_worker_peak(
    env: dict[str, str],
    log: Path,
    *,
    requests: int,
    ids: list[str],
    progress: Callable[[str], None],
) -> float | None:
    """Start one gunicorn worker on the bench's store and read models, drive it, read its VmHWM."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(_api_command(port), env={**env, "CASETRACK_ENV": "development"}, log=log) as proc:

        def up() -> bool:
            with suppress(OSError):
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    return answer.status == 200
            return proc.poll() is not None

        wait_for(up, timeout_s=60, what="the API worker", every_s=0.3)
        if proc.poll() is not None:
            progress("the API worker exited at start; see its log")
            return None
        failures = _drive(base, requests=requests, ids=ids)
        if failures:
            progress(
                f"API worker: {failures}/{requests} requests failed (memory is still measured)"
            )
        return _worker_peak(proc.pid)


def _api_command(port: int) -> list[str]:
    """gunicorn with one threaded worker, as deployed; Django's server when it is absent."""
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        return ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return [
        "-m",
        "gunicorn",
        "api.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--worker-class",
        "gthread",
    ]


def _drive(base: str, *, requests: int, ids: list[str]) -> int:
    """`requests` searches, analytics and case reads as an analyst; the number that failed."""
    token = _post_json(f"{base}/api/v1/dev/tokens", {"role": "analyst", "sub": "bench"})["token"]
    headers = {"Authorization": f"Bearer {token}"}
    paths = [
        "/api/v1/search?q=许可",
        "/api/v1/search?type=case&status=approved",
        "/api/v1/analytics/cases?group_by=department",
    ] + [f"/api/v1/cases/{i}" for i in ids[:20]]
    failures = 0
    for n in range(requests):
        request = urllib.request.Request(
            base + urllib.parse.quote(paths[n % len(paths)], safe="/?=&"), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        except OSError:
            failures += 1
    return failures


def _worker_peak(pid: int) -> float:
    """The highest VmHWM among the process's children (gunicorn's workers), else its own."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    return max([rss_peak_mb(worker) for worker in workers] or [rss_peak_mb(pid)])


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())
