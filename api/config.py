"""Casetrack's configuration, read once at the edge from the environment.

pydantic-settings gives typed values, defaults and one clear error for a bad variable.
Everything below the edge (domain, consumers, search) receives these values as arguments.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def _rate(value: str) -> str:
    """A rate limit in the `limits` notation (`30/minute`, `20 per second`), at least 1."""
    from limits import parse

    if parse(value).amount < 1:
        raise ValueError("a rate limit allows at least 1 request")
    return value


def _networks(value: str) -> str:
    """Comma-separated CIDRs (or single addresses)."""
    for part in filter(None, (p.strip() for p in value.split(","))):
        ip_network(part, strict=False)
    return value


# Rate limits (docs/api.md, "Rate limits"): checked at start, so a typo stops the process.
Rate = Annotated[str, AfterValidator(_rate)]


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASETRACK_", extra="ignore")

    env: str = Field("development", description="development | production")
    event_store: str = f"sqlite:///{ROOT / 'var' / 'events.db'}"
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_driver: str = Field(
        "kafka-python",
        pattern="^(kafka-python|confluent)$",
        description="the relay's producer and the projectors' consumers",
    )
    es_url: str = "http://127.0.0.1:19200"
    es_ca_certs: str = ""
    heartbeat_file: str = ""
    postgres_url: str = "postgresql://casetrack:casetrack@127.0.0.1:15432/casetrack"
    topic_prefix: str = "casetrack"
    index_prefix: str = "casetrack"
    partitions: int = Field(12, ge=1)
    dev_jwt_secret: str = "casetrack-dev-secret-change-me-in-production"
    jwks_url: str = ""
    checkpoint_key: str = ""
    hash_algorithm: str = Field("sha256", pattern="^(sha256|sm3)$")
    snapshot_interval: int = Field(100, ge=0)
    readiness_timeout_s: float = Field(2.0, gt=0)
    # The rate limiter's store, shared by every worker and host (docs/design.md, "The limiter").
    redis_url: str = Field(
        "redis://127.0.0.1:16379/0", pattern=r"^(redis|rediss|redis\+unix)://", min_length=9
    )
    trusted_proxies: Annotated[str, AfterValidator(_networks)] = Field(
        "", description="CIDRs of the proxies whose X-Forwarded-For names the client"
    )
    rate_limit_verify: Rate = "30/minute"  # per client address
    rate_limit_anonymous: Rate = "600/minute"  # per client address, every other anonymous call
    rate_limit_search: Rate = "20/second"  # per token `sub`
    rate_limit_commands: Rate = "20/second"  # per token `sub`
    rate_limit_reads: Rate = "50/second"  # per token `sub`, every other authenticated read

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def store_env(self) -> dict[str, str]:
        """The mapping `domain.application.CasetrackApplication` is configured from."""
        env = {
            "CASETRACK_EVENT_STORE": self.event_store,
            "CASETRACK_HASH_ALGORITHM": self.hash_algorithm,
            "CASETRACK_SNAPSHOT_INTERVAL": str(self.snapshot_interval),
        }
        if self.checkpoint_key:
            env["CASETRACK_CHECKPOINT_KEY"] = self.checkpoint_key
        return env


@lru_cache(maxsize=1)
def get_config() -> Config:
    return Config()
