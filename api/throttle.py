"""Rate limits on the API (docs/api.md, "Rate limits"; docs/design.md, "The limiter").

Every request to `/api/v1/` is counted before its view runs, whatever the view would answer:
- public licence verification per client address (`CASETRACK_RATE_LIMIT_VERIFY`);
- every other request without a valid token per client address (`..._ANONYMOUS`): the
  catalogue, the OpenAPI document, development tokens, and requests whose token is refused;
- with a valid token, per token `sub`: search (`..._SEARCH`), commands (`..._COMMANDS`:
  POST, PUT, DELETE) and every other read (`..._READS`).

Counts are moving windows (`limits`) in Redis, shared by every worker and host. When Redis
cannot be asked, limited requests fail closed: 503 with `Retry-After`.

The client address is `REMOTE_ADDR`, or, when that peer is one of `CASETRACK_TRUSTED_PROXIES`,
the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. IPv6 clients are
counted per /64 (one subscriber's usual allocation). Identities are stored hashed: Redis never
holds an address or a `sub` (a citizen's `sub` may be their identity number).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from api import problems
from api.auth import InvalidToken, decode
from api.config import Config, get_config

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
VERIFY_PATH = re.compile(r"^/api/v1/licences/[^/]+/verify/?$")
SEARCH_PATH = re.compile(r"^/api/v1/search/?$")
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PREFIX = "casetrack-limits"
# A Redis that does not answer at once must not hold a worker: fail closed quickly.
REDIS_TIMEOUT_S = 0.5
UNAVAILABLE_RETRY_AFTER_S = 5
MAX_REMEMBERED_REFUSALS = 100_000

WHAT = {
    "verify": "licence verifications from this address",
    "anonymous": "requests without a token from this address",
    "search": "searches with this token",
    "commands": "commands with this token",
    "reads": "reads with this token",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Refusal:
    limit: str
    item: RateLimitItem
    retry_after_s: int

    def response(self) -> HttpResponse:
        name, multiples = self.item.GRANULARITY.name, self.item.multiples
        per = name if multiples == 1 else f"{multiples} {name}s"
        return problems.too_many_requests(
            f"Too many {WHAT[self.limit]}: at most {self.item.amount} per {per}. "
            f"Try again in {self.retry_after_s} s.",
            self.retry_after_s,
        )


class Limiter:
    """The process's limits over one shared store.

    A refusal is remembered in the process until the window's oldest request leaves it: until
    then no worker anywhere can be granted a request for that caller (the window stays full),
    so a flood of refused requests costs no round trip to Redis.
    """

    def __init__(self, storage: RedisStorage, rates: dict[str, str]) -> None:
        self.strategy = MovingWindowRateLimiter(storage)
        self.items = {name: parse(rate) for name, rate in rates.items()}
        self._refused_until: dict[tuple[str, str], float] = {}

    def hit(self, limit: str, identity: str) -> Refusal | None:
        """Count one request; a `Refusal` when it is one too many. Raises `StorageError`."""
        item = self.items[limit]
        key = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
        until = self._refused_until.get((limit, key), 0.0)
        if until > time.time():
            return Refusal(limit, item, max(1, math.ceil(until - time.time())))
        if self.strategy.hit(item, limit, key):
            return None
        reset_at, _ = self.strategy.get_window_stats(item, limit, key)
        self._remember(limit, key, reset_at)
        return Refusal(limit, item, max(1, math.ceil(reset_at - time.time())))

    def _remember(self, limit: str, key: str, until: float) -> None:
        if len(self._refused_until) >= MAX_REMEMBERED_REFUSALS:
            now = time.time()
            self._refused_until = {k: t for k, t in self._refused_until.items() if t > now}
            if len(self._refused_until) >= MAX_REMEMBERED_REFUSALS:
                self._refused_until = {}
        self._refused_until[(limit, key)] = until


@lru_cache(maxsize=4)
def _storage(url: str) -> RedisStorage:
    # No connection is made here: the first request asks Redis. One retry without backoff
    # replaces a pooled connection that a Redis restart closed; the client's default
    # (3 retries, up to 10 s apart) would hold the worker while Redis is down.
    return RedisStorage(
        url,
        key_prefix=KEY_PREFIX,
        wrap_exceptions=True,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
    )


@lru_cache(maxsize=8)
def _limiter(url: str, rates: tuple[tuple[str, str], ...]) -> Limiter:
    return Limiter(_storage(url), dict(rates))


def limiter(config: Config | None = None) -> Limiter:
    config = config or get_config()
    rates = tuple((name, getattr(config, f"rate_limit_{name}")) for name in WHAT)
    return _limiter(config.redis_url, rates)


@lru_cache(maxsize=8)
def _networks(text: str) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest, trusted_proxies: str) -> str:
    """The address requests are counted by (IPv6 as its /64)."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    trusted = _networks(trusted_proxies)
    client = peer
    if peer is not None and any(peer in n for n in trusted):
        # Each proxy appends the address it heard from: read from the nearest hop back and
        # stop at the first address no trusted proxy stands for (left of it is hearsay).
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break
            client = address
            if not any(address in n for n in trusted):
                break
    if client is None:
        return request.META.get("REMOTE_ADDR", "") or "unknown"
    if client.version == 6:
        return str(ipaddress.ip_network(f"{client}/64", strict=False))
    return str(client)


def _sub(request: HttpRequest) -> str | None:
    """The `sub` of a valid bearer token, else None (the request is counted as anonymous)."""
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return decode(token.strip()).sub
    except InvalidToken:
        return None


def classify(request: HttpRequest, config: Config) -> tuple[str, str]:
    """(limit, identity) of an API request."""
    path = request.path
    if VERIFY_PATH.match(path):
        return "verify", "address:" + client_address(request, config.trusted_proxies)
    sub = _sub(request)
    if sub is None:
        return "anonymous", "address:" + client_address(request, config.trusted_proxies)
    if request.method in COMMAND_METHODS:
        return "commands", "sub:" + sub
    if SEARCH_PATH.match(path):
        return "search", "sub:" + sub
    return "reads", "sub:" + sub


class RateLimitMiddleware:
    """Counts every `/api/v1/` request that reaches a view, before the view runs."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not request.path.startswith(API_PREFIX):
            return None
        config = get_config()
        limit, identity = classify(request, config)
        try:
            refusal = limiter(config).hit(limit, identity)
        except (StorageError, RedisError) as exc:
            log.warning("rate limiter unavailable for %s %s: %s", request.method, request.path, exc)
            return problems.limiter_unavailable(UNAVAILABLE_RETRY_AFTER_S)
        if refusal is not None:
            log.debug("rate limit %s reached for %s %s", limit, request.method, request.path)
            return refusal.response()
        return None
