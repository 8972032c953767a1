"""Store settings, read from a mapping the edge passes in (never from ``os.environ``).

``CASETRACK_EVENT_STORE``:

- ``sqlite:///var/events.db`` (default): a path relative to the repository;
  ``sqlite:////abs/path.db`` for an absolute one. Query: ``busy_timeout`` (seconds),
  ``synchronous`` (FULL by default).
- ``postgresql://user:pass@host:port/db``; query: ``schema``, ``pool_size``,
  ``max_overflow``, ``lock_timeout``, ``connect_timeout``, ``idle_timeout``.
- ``memory://``: a throw-away SQLite file in a temporary directory, for unit tests. Not
  SQLite's ``:memory:`` mode: there the library makes readers wait for the writer, and a
  command reads (loads aggregates) while its write transaction is open.

Other keys: ``CASETRACK_CHECKPOINT_KEY`` (HMAC key for checkpoints; the development
default is ``hashing.DEV_CHECKPOINT_KEY``), ``CASETRACK_HASH_ALGORITHM`` (``sha256`` or
``sm3``), ``CASETRACK_SNAPSHOT_INTERVAL`` (events between snapshots, 0 = off; default
100), ``CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT`` (seconds before a crashed reservation
may be taken over; default 120), ``CASETRACK_IDEMPOTENCY_RETENTION_HOURS`` (>= 24),
``CASETRACK_MASTER_KEYS``, ``CASETRACK_BLIND_INDEX_KEY`` and ``CASETRACK_CIPHER`` (personal data,
``domain/privacy``; development keys by default, refused in production by ``api/config.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from domain.privacy.master import DEV_MASTER_KEYS
from domain.privacy.refs import DEV_BLIND_INDEX_KEY
from domain.store.hashing import DEV_CHECKPOINT_KEY, HashAlgorithm

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EVENT_STORE = "sqlite:///var/events.db"
MIN_RETENTION = timedelta(hours=24)
MAX_NUMBER = 1e9  # hours or seconds; timedelta overflows past ~2.4e10 hours


# The adapters (eventstore/) import database drivers, so the domain names them, never imports them.
FACTORY_TOPICS = {
    "sqlite": "eventstore.sqlite:CasetrackSQLiteFactory",
    "postgres": "eventstore.postgres:CasetrackPostgresFactory",
}


@dataclass(frozen=True)
class StoreSettings:
    backend: str  # "sqlite" | "postgres"
    library_env: dict[str, str]
    sqlite_path: Path | None = None
    temporary: bool = False
    checkpoint_key: str = DEV_CHECKPOINT_KEY
    hash_algorithm: str = "sha256"
    snapshot_interval: int = 100
    in_flight_timeout: timedelta = timedelta(seconds=120)
    retention: timedelta = MIN_RETENTION
    postgres_schema: str = field(default="public")
    master_keys: str = DEV_MASTER_KEYS
    blind_index_key: str = DEV_BLIND_INDEX_KEY
    cipher: str = "aes-gcm"

    @property
    def uses_dev_checkpoint_key(self) -> bool:
        return self.checkpoint_key == DEV_CHECKPOINT_KEY

    @property
    def factory_topic(self) -> str:
        """The adapter's infrastructure factory, resolved by topic: the domain imports no driver."""
        return FACTORY_TOPICS[self.backend]


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _sqlite_env(path: Path, query: Mapping[str, str]) -> dict[str, str]:
    env = {"SQLITE_DBNAME": str(path)}
    if "busy_timeout" in query:
        env["CASETRACK_SQLITE_BUSY_TIMEOUT"] = query["busy_timeout"]
    if "synchronous" in query:
        env["CASETRACK_SQLITE_SYNCHRONOUS"] = query["synchronous"]
    return env


def _postgres_env(url: str) -> tuple[dict[str, str], str]:
    parts = urlsplit(url)
    query = _query(url)
    schema = query.get("schema", "public")
    env = {
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": query.get("pool_size", "5"),
        "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", "10"),
        "POSTGRES_LOCK_TIMEOUT": query.get("lock_timeout", "30"),
        "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", "10"),
        # A command's transaction stays open while it loads aggregates.
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": query.get("idle_timeout", "60"),
    }
    return env, schema


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number of seconds or hours; anything else stops the start, naming `name`."""
    raw = env.get(name) or default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < MAX_NUMBER:  # also refuses NaN
        msg = f"{name} must be a positive number below {MAX_NUMBER:g}, got {raw!r}"
        raise ValueError(msg)
    return value


def load_settings(env: Mapping[str, str] | None) -> StoreSettings:
    env = env or {}
    url = env.get("CASETRACK_EVENT_STORE") or DEFAULT_EVENT_STORE
    scheme = urlsplit(url).scheme.lower()
    algorithm = env.get("CASETRACK_HASH_ALGORITHM") or "sha256"
    HashAlgorithm(algorithm)  # fail early on a typo
    common = {
        "checkpoint_key": env.get("CASETRACK_CHECKPOINT_KEY") or DEV_CHECKPOINT_KEY,
        "master_keys": env.get("CASETRACK_MASTER_KEYS") or DEV_MASTER_KEYS,
        "blind_index_key": env.get("CASETRACK_BLIND_INDEX_KEY") or DEV_BLIND_INDEX_KEY,
        "cipher": env.get("CASETRACK_CIPHER") or "aes-gcm",
        "hash_algorithm": algorithm,
        "snapshot_interval": int(env.get("CASETRACK_SNAPSHOT_INTERVAL") or 100),
        "in_flight_timeout": timedelta(
            seconds=_positive(env, "CASETRACK_IDEMPOTENCY_IN_FLIGHT_TIMEOUT", 120)
        ),
        "retention": max(
            MIN_RETENTION,
            timedelta(hours=_positive(env, "CASETRACK_IDEMPOTENCY_RETENTION_HOURS", 24)),
        ),
    }
    store_keys = {
        "CASETRACK_HASH_ALGORITHM": algorithm,
        "IS_SNAPSHOTTING_ENABLED": "y" if common["snapshot_interval"] > 0 else "n",
    }
    if scheme == "sqlite":
        raw = url.split("://", 1)[1].split("?", 1)[0]
        if not raw.startswith("/"):
            msg = f"Expected sqlite:///relative or sqlite:////absolute, got {url!r}"
            raise ValueError(msg)
        rel = raw[1:]
        path = Path(rel) if rel.startswith("/") else REPO_ROOT / rel
        library_env = {**_sqlite_env(path, _query(url)), **store_keys}
        return StoreSettings("sqlite", library_env, sqlite_path=path, **common)
    if scheme == "memory":
        # The path is chosen by the application when it creates the temporary directory.
        return StoreSettings("sqlite", dict(store_keys), temporary=True, **common)
    if scheme in ("postgresql", "postgres"):
        library_env, schema = _postgres_env(url)
        return StoreSettings(
            "postgres", {**library_env, **store_keys}, postgres_schema=schema, **common
        )
    msg = f"Unsupported CASETRACK_EVENT_STORE {url!r}"
    raise ValueError(msg)
