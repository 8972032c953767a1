"""Casetrack as production runs it, started as processes for a probe over HTTP.

Demo data seeded through the commands, then the relay, the projectors and gunicorn (gthread
workers), each in a process group of its own with its log in `work`; all of them stopped when
the probe ends (TERM, then KILL after 30 s), whatever it raised. Used by `loadtests.http_probe`
and `loadtests.flood`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


@dataclass(frozen=True)
class System:
    relay: subprocess.Popen
    projectors: subprocess.Popen
    api: subprocess.Popen


@contextmanager
def running_system(
    *, env: dict[str, str], work: Path, seed_cases: int, port: int, workers: int, threads: int
) -> Iterator[System]:
    processes: list[subprocess.Popen] = []

    def start(*command: str, log: str) -> subprocess.Popen:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=open(work / log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return process

    try:
        subprocess.run(
            [PY, "manage.py", "seed_demo", "--cases", str(seed_cases), "--no-progress"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield System(
            relay=start(PY, "manage.py", "relay", log="relay.log"),
            projectors=start(PY, "manage.py", "project", "all", log="projectors.log"),
            api=start(
                str(Path(PY).parent / "gunicorn"),
                "api.wsgi:application",
                *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
                *("--threads", str(threads), "--worker-class", "gthread"),
                *("--graceful-timeout", "10"),
                log="gunicorn.log",
            ),
        )
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
