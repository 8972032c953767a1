"""Bearer-token authentication and role checks.

Tokens are JWTs (PyJWT). Production verifies asymmetric signatures (RS256 or EdDSA) with
public keys from a configured JWKS and refuses to start without one; development signs and
verifies HS256 with a dev secret, and `issue_token` / `/api/v1/dev/tokens` mint tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from api.config import Config, get_config

ROLES = ("citizen", "clerk", "auditor", "analyst", "admin", "gateway")
ASYMMETRIC = ["RS256", "EdDSA", "ES256"]
ISSUER = "casetrack"
LEEWAY_S = 30


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    party_id: str | None = None
    department: str | None = None
    region_code: str | None = None

    def actor(self, channel: str | None = None) -> dict:
        """The actor recorded on events: `{role, subject[, channel]}`."""
        actor = {"role": self.role, "subject": self.sub}
        if channel:
            actor["channel"] = channel
        return actor


class InvalidToken(Exception):
    pass


@lru_cache(maxsize=1)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def check_production_keys(config: Config) -> None:
    if config.is_production and not config.jwks_url:
        raise ImproperlyConfigured(
            "production needs CASETRACK_JWKS_URL (public keys for RS256/EdDSA tokens)"
        )


def decode(token: str, config: Config | None = None) -> Principal:
    config = config or get_config()
    try:
        if config.is_production:
            check_production_keys(config)
            key = _jwks_client(config.jwks_url).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=ASYMMETRIC,
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": ["exp", "sub", "role"]},
            )
        else:
            claims = jwt.decode(
                token,
                config.dev_jwt_secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": ["exp", "sub", "role"]},
            )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    role = claims.get("role")
    if role not in ROLES:
        raise InvalidToken(f"unknown role {role!r}")
    principal = Principal(
        sub=str(claims["sub"]),
        role=role,
        party_id=claims.get("party_id"),
        department=claims.get("department"),
        region_code=claims.get("region_code"),
    )
    if role == "citizen" and not principal.party_id:
        raise InvalidToken("a citizen token needs party_id")
    if role == "clerk" and not (principal.department and principal.region_code):
        raise InvalidToken("a clerk token needs department and region_code")
    return principal


def issue_dev_token(
    *,
    role: str,
    sub: str,
    party_id: str | None = None,
    department: str | None = None,
    region_code: str | None = None,
    ttl_s: int = 8 * 3600,
    config: Config | None = None,
) -> str:
    """An HS256 token for development; refused in production."""
    config = config or get_config()
    if config.is_production:
        raise ImproperlyConfigured("development tokens are not issued in production")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": sub, "role": role, "iat": now, "exp": now + ttl_s}
    for name, value in (
        ("party_id", party_id),
        ("department", department),
        ("region_code", region_code),
    ):
        if value:
            claims[name] = value
    return jwt.encode(claims, config.dev_jwt_secret, algorithm="HS256")


class BearerAuth(HttpBearer):
    """ninja auth: a valid token gives `request.auth` = Principal; anything else is 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        try:
            return decode(token)
        except InvalidToken:
            return None


def require(request: HttpRequest, *roles: str) -> Principal:
    """The caller, if their role may call this endpoint; else 403."""
    principal: Principal = request.auth
    if principal.role not in roles:
        raise AuthorizationError(message=f"The role '{principal.role}' may not call this endpoint.")
    return principal
