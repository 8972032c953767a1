"""Liveness and readiness: `/healthz` (the process is up) and `/readyz` (its dependencies).

Readiness probes the event store, Kafka and Elasticsearch concurrently, each bounded by
`CASETRACK_READINESS_TIMEOUT_S`, so one dead dependency cannot stall the answer.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import psycopg
from ninja import Router
from ninja.responses import Status

from api.config import get_config
from consumers import kafka_admin
from search import client as es

router = Router(tags=["operations"])
_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readyz")


def _event_store(url: str, timeout_s: float) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        conn = sqlite3.connect(f"file:{path}?mode=rwc", uri=True, timeout=timeout_s)
        try:
            conn.execute("SELECT 1").fetchone()
        finally:
            conn.close()
        return "sqlite"
    if parsed.scheme in ("postgres", "postgresql"):
        with psycopg.connect(url, connect_timeout=max(1, int(timeout_s))) as conn:
            conn.execute("SELECT 1").fetchone()
        return "postgresql"
    if parsed.scheme == "memory":
        return "memory"
    raise ValueError(f"unsupported event store URL scheme {parsed.scheme!r}")


def _kafka(bootstrap: str, timeout_s: float) -> str:
    kafka_admin.ping(bootstrap, timeout_s=timeout_s)
    return "reachable"


def _elasticsearch(url: str, timeout_s: float) -> str:
    return es.ping(
        es.make_client(url, timeout_s=timeout_s, ca_certs=get_config().es_ca_certs),
        timeout_s=timeout_s,
    )


def _probe(check, *args) -> dict:
    started = time.perf_counter()
    try:
        detail = check(*args)
        ok = True
    except Exception as exc:  # any failure of a dependency means "not ready", with the reason
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return {
        "ok": ok,
        "detail": detail,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request):
    from django.http import HttpResponse

    from api.metrics import render

    body, content_type = render()
    return HttpResponse(body, content_type=content_type)


@router.get("/healthz", summary="The process is up")
def healthz(request):
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Event store, Kafka and Elasticsearch are reachable",
    response={200: dict, 503: dict},
)
def readyz(request):
    cfg = get_config()
    timeout = cfg.readiness_timeout_s
    futures = {
        "event_store": _pool.submit(_probe, _event_store, cfg.event_store, timeout),
        "kafka": _pool.submit(_probe, _kafka, cfg.kafka_bootstrap, timeout),
        "elasticsearch": _pool.submit(_probe, _elasticsearch, cfg.es_url, timeout),
    }
    checks = {name: f.result() for name, f in futures.items()}
    ready = all(c["ok"] for c in checks.values())
    return Status(
        200 if ready else 503, {"status": "ready" if ready else "unavailable", "checks": checks}
    )
