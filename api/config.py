"""Casetrack's configuration, read once at the edge from the environment.

pydantic-settings gives typed values, defaults and one clear error for a bad variable.
Everything below the edge (domain, consumers, search) receives these values as arguments.

A process refuses to start (`StartupRefused`, a message naming each variable) when a value
does not parse, and in production when a required value is missing or is a development
default (`Config.production_problems`, checked by `api.apps` whenever Django sets up: every
`manage.py` command and the WSGI application). docs/design.md, "Configuration and the edges".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.privacy.master import LocalMasterKeys
from domain.privacy.refs import DEV_BLIND_INDEX_KEY
from domain.store.config import load_settings
from domain.store.hashing import DEV_CHECKPOINT_KEY

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CASETRACK_"
DEV_DJANGO_SECRET_KEY = "casetrack-dev-django-secret"
DEV_JWT_SECRET = "casetrack-dev-secret-change-me-in-production"
# Django's own deployment check (security.W009) asks for 50 characters, 5 of them distinct.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARS = 5
# The checkpoint key is an HMAC-SHA256 key: 32 characters at least.
MIN_CHECKPOINT_KEY_LENGTH = 32
# A JWKS fetched over plain HTTP could be swapped on the way (then anyone mints tokens);
# only the machine itself is trusted without TLS.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Never echoed in an error message.
_SECRET_FIELDS = frozenset(
    {
        "dev_jwt_secret",
        "checkpoint_key",
        "master_keys",
        "blind_index_key",
        "DJANGO_SECRET_KEY",
        "event_store",
        "es_url",
        "postgres_url",
        "redis_url",
    }
)


def _master_keys(value: str) -> str:
    if value:
        LocalMasterKeys.parse(value)  # its message names the variable
    return value


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


class StartupRefused(ImproperlyConfigured):
    """The process must not start; `problems` names every variable at fault, all at once."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"Casetrack refuses to start:\n{lines}")


def refusal(exc: ImproperlyConfigured) -> str:
    """The operator's message for a configuration that stops the start."""
    if isinstance(exc, StartupRefused):
        return str(exc)
    return f"Casetrack refuses to start:\n  - {exc}"


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_by_name=True)

    env: Literal["development", "test", "production"] = Field(
        "development", description="development | test | production"
    )
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
    dev_jwt_secret: str = DEV_JWT_SECRET
    jwks_url: str = ""
    jwt_audience: str = Field(
        "", description="the `aud` tokens must carry (required in production)"
    )
    checkpoint_key: str = ""
    hash_algorithm: str = Field("sha256", pattern="^(sha256|sm3)$")
    # Personal data (docs/design.md, "Personal data"): the master keys that wrap the data keys
    # (`id:base64[,id:base64]`, the first wraps), the blind-index key, the cipher.
    master_keys: Annotated[str, AfterValidator(_master_keys)] = ""
    blind_index_key: str = ""
    cipher: str = Field("aes-gcm", pattern="^(aes-gcm|sm4-gcm)$")
    snapshot_interval: int = Field(100, ge=0)
    idempotency_in_flight_timeout: float = Field(
        120.0,
        gt=0,
        le=24 * 3600,
        allow_inf_nan=False,
        description="seconds before a crashed command's reservation may be taken over",
    )
    idempotency_retention_hours: float = Field(
        24.0,
        ge=24,
        le=10 * 366 * 24,
        allow_inf_nan=False,
        description="hours an idempotency key is kept (at least a day)",
    )
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
    # Django's own settings, under Django's usual names (api/settings.py reads them here).
    django_secret_key: str = Field("", validation_alias="DJANGO_SECRET_KEY")
    django_allowed_hosts: str = Field("", validation_alias="DJANGO_ALLOWED_HOSTS")
    django_debug: bool = Field(False, validation_alias="DJANGO_DEBUG")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def secret_key(self) -> str:
        """Django's SECRET_KEY; the development default outside production only."""
        if self.is_production:
            return self.django_secret_key
        return self.django_secret_key or DEV_DJANGO_SECRET_KEY

    @property
    def allowed_hosts(self) -> list[str]:
        """Django's ALLOWED_HOSTS; any host outside production when none is configured."""
        hosts = [h.strip() for h in self.django_allowed_hosts.split(",") if h.strip()]
        return hosts or ([] if self.is_production else ["*"])

    def store_env(self) -> dict[str, str]:
        """The mapping `domain.application.CasetrackApplication` is configured from: every
        setting `domain.store.config.load_settings` reads."""
        env = {
            "CASETRACK_EVENT_STORE": self.event_store,
            "CASETRACK_HASH_ALGORITHM": self.hash_algorithm,
            "CASETRACK_SNAPSHOT_INTERVAL": str(self.snapshot_interval),
            "CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT": str(self.idempotency_in_flight_timeout),
            "CASETRACK_IDEMPOTENCY_RETENTION_HOURS": str(self.idempotency_retention_hours),
        }
        if self.checkpoint_key:
            env["CASETRACK_CHECKPOINT_KEY"] = self.checkpoint_key
        if self.master_keys:
            env["CASETRACK_MASTER_KEYS"] = self.master_keys
        if self.blind_index_key:
            env["CASETRACK_BLIND_INDEX_KEY"] = self.blind_index_key
        env["CASETRACK_CIPHER"] = self.cipher
        return env

    def production_problems(self) -> list[str]:
        """Every reason this configuration must not run in production ([] outside it)."""
        if not self.is_production:
            return []
        return [
            problem
            for problem in (
                _jwks_url_problem(self.jwks_url),
                None
                if self.jwt_audience
                else "CASETRACK_JWT_AUDIENCE is not set: the audience (`aud`) the identity "
                "provider puts in tokens meant for this API",
                "CASETRACK_DEV_JWT_SECRET is set: production never accepts development (HS256) "
                "tokens, so unset it"
                if "dev_jwt_secret" in self.model_fields_set
                else None,
                _checkpoint_key_problem(self.checkpoint_key),
                _master_keys_problem(self.master_keys),
                _blind_index_key_problem(self.blind_index_key, self.checkpoint_key),
                _secret_key_problem(self.django_secret_key),
                _allowed_hosts_problem(self.django_allowed_hosts),
                "DJANGO_DEBUG is on: debug pages show settings and code to anyone; turn it off"
                if self.django_debug
                else None,
            )
            if problem
        ]


def _jwks_url_problem(url: str) -> str | None:
    if not url:
        return (
            "CASETRACK_JWKS_URL is not set: the identity provider's JWKS endpoint (public keys "
            "of the RS256/EdDSA/ES256 tokens)"
        )
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "CASETRACK_JWKS_URL must be an https:// URL (plain http only on this machine's loopback)"


def _master_keys_problem(value: str) -> str | None:
    if not value:
        return (
            "CASETRACK_MASTER_KEYS is not set: the keys that wrap personal data's keys "
            "(id:base64 of 32 bytes; keep them outside the database and its backups)"
        )
    if any(key_id == "dev1" for key_id in LocalMasterKeys.parse(value).ids):
        return "CASETRACK_MASTER_KEYS holds the published development key"
    return None


def _blind_index_key_problem(key: str, checkpoint_key: str) -> str | None:
    if not key:
        return "CASETRACK_BLIND_INDEX_KEY is not set: the key of the blind indexes of names and ids"
    if key == DEV_BLIND_INDEX_KEY:
        return "CASETRACK_BLIND_INDEX_KEY is the published development key"
    if len(key) < MIN_CHECKPOINT_KEY_LENGTH:
        return f"CASETRACK_BLIND_INDEX_KEY is shorter than {MIN_CHECKPOINT_KEY_LENGTH} characters"
    if key == checkpoint_key:
        return "CASETRACK_BLIND_INDEX_KEY must differ from CASETRACK_CHECKPOINT_KEY"
    return None


def _checkpoint_key_problem(key: str) -> str | None:
    if not key:
        return (
            "CASETRACK_CHECKPOINT_KEY is not set: the key that signs the event store's "
            "checkpoints (keep a copy outside the database)"
        )
    if key == DEV_CHECKPOINT_KEY:
        return "CASETRACK_CHECKPOINT_KEY is the published development key"
    if len(key) < MIN_CHECKPOINT_KEY_LENGTH:
        return f"CASETRACK_CHECKPOINT_KEY is shorter than {MIN_CHECKPOINT_KEY_LENGTH} characters"
    return None


def _secret_key_problem(key: str) -> str | None:
    if not key:
        return "DJANGO_SECRET_KEY is not set: Django's signing key"
    if key == DEV_DJANGO_SECRET_KEY or key.startswith("django-insecure"):
        return "DJANGO_SECRET_KEY is a development default"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_CHARS:
        return (
            f"DJANGO_SECRET_KEY is weak: use at least {MIN_SECRET_KEY_LENGTH} random characters "
            f"({MIN_SECRET_KEY_CHARS} or more distinct)"
        )
    return None


def _allowed_hosts_problem(hosts: str) -> str | None:
    names = [h.strip() for h in hosts.split(",") if h.strip()]
    if not names:
        return (
            "DJANGO_ALLOWED_HOSTS is not set: the host names this API answers to, comma-separated"
        )
    if "*" in names:
        return "DJANGO_ALLOWED_HOSTS contains '*': name the hosts this API answers to"
    return None


def _variable(location: tuple[Any, ...]) -> str:
    name = str(location[0]) if location else "?"
    return f"{ENV_PREFIX}{name.upper()}" if name in Config.model_fields else name


def _describe(error: Any) -> str:
    location = tuple(error.get("loc", ()))
    problem = f"{_variable(location)}: {error.get('msg', 'invalid')}"
    value = error.get("input")
    if location and location[0] not in _SECRET_FIELDS and isinstance(value, str):
        problem += f" (got {value[:60]!r})"
    return problem


@lru_cache(maxsize=1)
def get_config() -> Config:
    try:
        return Config()
    except ValidationError as exc:
        raise StartupRefused([_describe(error) for error in exc.errors()]) from None


def _store_problems(config: Config) -> list[str]:
    """The event store's settings parse now rather than when the first command builds the
    application (no connection is made)."""
    try:
        load_settings(config.store_env())
    except ValueError as exc:
        message = str(exc)
        password = urlsplit(config.event_store).password
        return [message.replace(password, "***") if password else message]
    return []


def check_start(config: Config | None = None) -> None:
    """Refuse to start, naming every variable at fault, when the store's settings do not parse
    or production is not safe to run."""
    config = config or get_config()
    problems = _store_problems(config) + config.production_problems()
    if problems:
        raise StartupRefused(problems)
