"""Prometheus metrics: `GET /metrics` in the text exposition format.

- Request latency per route (a Django middleware; the route is the URL pattern, so the label
  set stays small), and commands by outcome (POST/PUT/DELETE under /api/v1/).
- The pipeline at scrape time: the event store's position, each projection's watermark and
  its lag in events. Relay and projector throughput is the rate of these positions.

Under gunicorn every worker is a process: with `PROMETHEUS_MULTIPROC_DIR` set (make run
sets it), counters and histograms are aggregated across workers.

Who may scrape (docs/api.md, Operations): anyone in development; in production Prometheus
with the bearer token `CASETRACK_METRICS_TOKEN` (its scrape config's
`authorization.credentials_file`), or an admin. A static scrape credential rather than
an address list: Prometheus sends it through any proxy or ingress, where the client address is
the proxy's, and it grants nothing but the scrape (an admin token would open the whole API).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from datetime import UTC, datetime
from functools import lru_cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.config import StartupRefused

log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "casetrack_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COMMANDS = Counter(
    "casetrack_commands_total", "Commands answered, by route and status class", ["route", "outcome"]
)


MIN_TOKEN_CHARS = 32


class ScrapeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASETRACK_", extra="ignore")

    metrics_token: SecretStr = SecretStr("")

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if 0 < len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(
                f"CASETRACK_METRICS_TOKEN must be at least {MIN_TOKEN_CHARS} characters "
                "(e.g. `openssl rand -hex 32`), or unset"
            )
        return value


@lru_cache(maxsize=1)
def scrape_token() -> str:
    """The configured scrape token ("" when unset); a too short one stops the process."""
    try:
        return ScrapeSettings().metrics_token.get_secret_value()
    except ValidationError as exc:
        # The start's own refusal (api/wsgi.py exits 4 on it, gunicorn's "App failed to load").
        raise StartupRefused(
            [e["msg"].removeprefix("Value error, ") for e in exc.errors()]
        ) from None


def is_scrape_token(presented: str) -> bool:
    expected = scrape_token()
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        REQUEST_SECONDS.labels(request.method, route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        if request.method in ("POST", "PUT", "DELETE") and request.path.startswith("/api/v1/"):
            COMMANDS.labels(route, f"{response.status_code // 100}xx").inc()
        return response


class PipelineCollector:
    """Positions read when scraped, so they are right whichever process moved them."""

    def collect(self):
        from api import wiring
        from api.config import get_config
        from consumers import kafka_admin
        from consumers.dead_letters import count_dead_letters
        from consumers.lag import oldest_unapplied_age
        from consumers.topics import Topics
        from projections import EVENT_PROJECTIONS

        store_position = GaugeMetricFamily(
            "casetrack_event_store_position", "Position of the last stored event"
        )
        watermark = GaugeMetricFamily(
            "casetrack_projection_watermark_position",
            "Everything up to this position is applied and searchable",
            labels=["projection"],
        )
        lag = GaugeMetricFamily(
            "casetrack_projection_lag_events",
            "Stored events not yet projected",
            labels=["projection"],
        )
        lag_seconds = GaugeMetricFamily(
            "casetrack_projection_lag_seconds",
            "Age of the oldest stored event not yet projected",
            labels=["projection"],
        )
        dead = GaugeMetricFamily("casetrack_dead_letters", "Messages in the dead-letter topic")
        try:
            position = wiring.application().max_position()
            store_position.add_metric([], position)
            models = wiring.make_read_models()
            partitions = get_config().partitions
            app = wiring.application()
            for name in EVENT_PROJECTIONS:
                mark = models.watermark(name, partitions)
                watermark.add_metric([name], mark)
                lag.add_metric([name], max(0, position - mark))
                lag_seconds.add_metric([name], oldest_unapplied_age(app, mark, datetime.now(UTC)))
        except Exception:  # a scrape must answer even when a dependency is down
            log.warning("pipeline metrics unavailable", exc_info=True)
        try:
            config = get_config()
            kafka_admin.ping(config.kafka_bootstrap, timeout_s=1.0)
            dead.add_metric(
                [],
                count_dead_letters(
                    config.kafka_bootstrap, Topics(config.topic_prefix).dead_letters
                ),
            )
        except Exception:
            log.warning("dead-letter count unavailable", exc_info=True)
        yield store_position
        yield watermark
        yield lag
        yield lag_seconds
        yield dead


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_pipeline_registry())
    return output, CONTENT_TYPE_LATEST


def _notifications():
    from api.notify_metrics import NotificationCollector

    return NotificationCollector()


_PIPELINE = CollectorRegistry(auto_describe=False)
_PIPELINE.register(PipelineCollector())
_PIPELINE.register(_notifications())


def _pipeline_registry() -> CollectorRegistry:
    return _PIPELINE
