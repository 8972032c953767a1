"""Control of the local real stack from tests: stop and start one real server.

Fault-injection tests use this to take Kafka, Elasticsearch, PostgreSQL, Redis or the mail
server away for real.
They only run against the stack that `make up` manages on loopback; pointing the suite at
external clusters (URLs that are not the local defaults) skips them.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "docker" / "local" / "stack.sh"
URL_VARS = {
    "kafka": "CASETRACK_KAFKA_BOOTSTRAP",
    "elasticsearch": "CASETRACK_ES_URL",
    "postgres": "CASETRACK_POSTGRES_URL",
    "redis": "CASETRACK_REDIS_URL",
    "smtp": "CASETRACK_SMTP_URL",
}


def _stack_env() -> dict[str, str]:
    # The URLs exported by `make test` describe the local stack; stack.sh would take them
    # for external servers and leave them alone, so they are dropped for its own calls.
    return {k: v for k, v in os.environ.items() if k not in URL_VARS.values()}


def _local_url(service: str) -> str:
    out = subprocess.run(
        ["bash", str(STACK), "env"], env=_stack_env(), check=True, capture_output=True, text=True
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return values[URL_VARS[service]]


def is_local(service: str) -> bool:
    given = os.environ.get(URL_VARS[service])
    return given is None or given == _local_url(service)


def stop(service: str) -> None:
    subprocess.run(
        ["bash", str(STACK), "down", service],
        env=_stack_env(),
        check=True,
        capture_output=True,
        text=True,
    )


def start(service: str) -> None:
    subprocess.run(
        ["bash", str(STACK), "up", service],
        env=_stack_env(),
        check=True,
        capture_output=True,
        text=True,
    )


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout_s: float,
    interval_s: float = 0.2,
    what: str = "condition",
) -> None:
    """Poll `condition` until it is true; fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)
