"""Liveness, readiness and metrics at the root (docs/api.md, Operations).

- `/healthz`: the process is up.
- `/readyz`: the event store, Kafka and Elasticsearch answer. A degraded cluster that still
  works (a broker or an Elasticsearch node lost, health yellow) is ready; the admin's detail
  says how many brokers and nodes answer. They are probed concurrently,
  each bounded by `CASETRACK_READINESS_TIMEOUT_S`, and the answer is kept for `FRESH_S`
  seconds per process: a burst of probes (an orchestrator, a load balancer, a person
  refreshing) costs one round of checks, and callers arriving while a round is running wait
  for it instead of starting their own (cachetools' `condition`). The clients are kept
  between rounds; one that failed is closed and made anew on the next round. Anonymous
  callers get the status only; the per-dependency detail, which carries exception text
  (hosts, ports, paths), is for an admin's bearer token.
- `/metrics`: open in development; in production only to Prometheus' scrape token
  (`CASETRACK_METRICS_TOKEN`, see `api.metrics`) or an admin's bearer token, else 401.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from functools import lru_cache
from urllib.parse import urlparse

import psycopg
from cachetools import TTLCache, cached
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from api import metrics as prometheus
from api.auth import InvalidToken, decode
from api.config import get_config
from api.problems import problem
from consumers import kafka_admin
from search import client as es

router = Router(tags=["operations"])
FRESH_S = 5.0
_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readyz")


class _Kept:
    """One client per target, kept between rounds. A kept client that fails (a connection the
    server closed while idle, a restarted server) is closed and the check tried once more with
    a new one, so a stale connection never reads as an outage; a new client's failure is the
    answer."""

    def __init__(self, make, close):
        self._make, self._close = make, close
        self._clients: dict = {}
        self._lock = threading.Lock()

    def use(self, target: tuple, call):
        with self._lock:
            kept = self._clients.pop(target, None)
        if kept is not None:
            try:
                return self._keep(target, kept, call(kept))
            except Exception:
                self._close(kept)
        client = self._make(*target)
        try:
            result = call(client)
        except Exception:
            self._close(client)
            raise
        return self._keep(target, client, result)

    def _keep(self, target: tuple, client, result):
        with self._lock:
            spare = self._clients.setdefault(target, client) is not client
        if spare:  # another round kept one meanwhile
            self._close(client)
        return result


def _close_quietly(client) -> None:
    try:
        client.close()
    except Exception:  # closing a broken client must not hide why it broke
        pass


_postgres = _Kept(
    lambda url, timeout_s: psycopg.connect(
        url, connect_timeout=max(1, int(timeout_s)), autocommit=True
    ),
    _close_quietly,
)
_kafka_admins = _Kept(
    lambda bootstrap, timeout_s: kafka_admin.admin_client(bootstrap, timeout_s=timeout_s),
    _close_quietly,
)


@lru_cache(maxsize=4)
def _es_client(url: str, timeout_s: float, ca_certs: str):
    # The Elasticsearch client is thread-safe and pools its connections; it reconnects alone.
    return es.make_client(url, timeout_s=timeout_s, ca_certs=ca_certs)


def _event_store(url: str, timeout_s: float) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # A local file, no client to keep: opening it is part of the check.
        path = url.removeprefix("sqlite:///")
        conn = sqlite3.connect(f"file:{path}?mode=rwc", uri=True, timeout=timeout_s)
        try:
            conn.execute("SELECT 1").fetchone()
        finally:
            conn.close()
        return "sqlite"
    if parsed.scheme in ("postgres", "postgresql"):
        _postgres.use((url, timeout_s), lambda conn: conn.execute("SELECT 1").fetchone())
        return "postgresql"
    if parsed.scheme == "memory":
        return "memory"
    raise ValueError(f"unsupported event store URL scheme {parsed.scheme!r}")


def check_kafka(bootstrap: str, timeout_s: float) -> str:
    """Ready while any broker answers for the cluster: a cluster that lost a broker still
    takes writes (the relay needs `min.insync.replicas` of each partition's replicas, which the
    cluster checks, not this probe), so the detail says how many brokers are alive."""
    brokers = _kafka_admins.use(
        (bootstrap, timeout_s), lambda admin: admin.describe_cluster()["brokers"]
    )
    return f"reachable, {len(brokers)} broker{'s' if len(brokers) != 1 else ''}"


def _elasticsearch(url: str, timeout_s: float, ca_certs: str) -> str:
    return es.ping(_es_client(url, timeout_s, ca_certs), timeout_s=timeout_s)


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


@cached(TTLCache(maxsize=4, ttl=FRESH_S), condition=threading.Condition(), info=True)
def check_dependencies(
    event_store: str, kafka_bootstrap: str, es_url: str, es_ca_certs: str, timeout_s: float
) -> dict[str, dict]:
    """One round of checks; its answer is reused for `FRESH_S` seconds (keyed by the targets)."""
    futures = {
        "event_store": _pool.submit(_probe, _event_store, event_store, timeout_s),
        "kafka": _pool.submit(_probe, check_kafka, kafka_bootstrap, timeout_s),
        "elasticsearch": _pool.submit(_probe, _elasticsearch, es_url, timeout_s, es_ca_certs),
    }
    # A client that ignores its own timeout (a connect stuck in the kernel) cannot hold the
    # answer: past twice the timeout the check counts as failed.
    wait_for(futures.values(), timeout=2 * timeout_s + 1)
    late = {"ok": False, "detail": f"no answer within {2 * timeout_s + 1:g} s", "latency_ms": None}
    return {name: f.result() if f.done() else late for name, f in futures.items()}


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _is_admin(request: HttpRequest) -> bool:
    token = _bearer(request)
    if not token:
        return False
    try:
        return decode(token).role == "admin"
    except InvalidToken:
        return False


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request):
    if get_config().is_production and not (
        prometheus.is_scrape_token(_bearer(request)) or _is_admin(request)
    ):
        return problem(
            401,
            "Metrics need the scrape token or an admin's bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = prometheus.render()
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
    checks = check_dependencies(
        cfg.event_store, cfg.kafka_bootstrap, cfg.es_url, cfg.es_ca_certs, cfg.readiness_timeout_s
    )
    ready = all(c["ok"] for c in checks.values())
    body: dict = {"status": "ready" if ready else "unavailable"}
    if _is_admin(request):
        body["checks"] = checks
    return Status(200 if ready else 503, body)
