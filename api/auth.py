"""Bearer-token authentication and role checks.

Tokens are JWTs (PyJWT). Production verifies asymmetric signatures (RS256, EdDSA or ES256)
with public keys from a configured JWKS and the configured audience, and refuses to start
without them (api.config); development signs and verifies HS256 with a dev secret, and
`issue_token` / `/api/v1/dev/tokens` mint tokens. In every environment the scoping claims must
have their exact formats, or the token is refused (401): docs/api.md, Authentication.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

import jwt
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from api.config import Config, get_config
from domain.identifiers import PROVINCE_PREFIXES, is_region_code, is_resident_id, party_id_problem
from domain.reference import DEPARTMENTS

ROLES = ("citizen", "clerk", "auditor", "analyst", "admin", "gateway")
ASYMMETRIC = ["RS256", "EdDSA", "ES256"]
ISSUER = "casetrack"
LEEWAY_S = 30
REQUIRED_CLAIMS = ["exp", "sub", "role"]
SCOPE_CLAIMS = ("party_id", "department", "region_code")


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    party_id: str | None = None
    department: str | None = None
    region_code: str | None = None

    def actor(self, channel: str | None = None) -> dict:
        """The actor recorded on events: `{role, subject[, channel]}`, and a citizen's
        `party_id`, so their subject is sealed under their own key (docs/design.md,
        "Personal data")."""
        actor = {"role": self.role, "subject": self.sub}
        if channel:
            actor["channel"] = channel
        if self.role == "citizen" and self.party_id:
            actor["party_id"] = self.party_id
        return actor


class InvalidToken(Exception):
    pass


@lru_cache(maxsize=1)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def region_code_problem(code: str) -> str | None:
    """Why `code` is not the shape of a GB/T 2260 division code, or None when it is."""
    if not is_region_code(code):
        return "must be a 6-digit region code"
    if code[:2] not in PROVINCE_PREFIXES:
        return "the first two digits are not a province code"
    if code[2:4] == "00" and code[4:] != "00":
        return "a county code needs its city's digits"
    return None


def _claim_problem(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if name == "party_id":
        return party_id_problem(value)
    if name == "department":
        return None if value in DEPARTMENTS else "is not a known department"
    return region_code_problem(value)


def claims_problem(claims: Mapping[str, Any]) -> str | None:
    """Why these verified claims may not act (docs/api.md, Authentication), or None.

    Scope is only as good as its claims: a `region_code` of "51" would read as a whole
    province's prefix, so every scoping claim present must have its exact format."""
    sub, role = claims.get("sub"), claims.get("role")
    if not isinstance(sub, str) or not sub:
        return "sub must be a non-empty string"
    if not isinstance(role, str) or role not in ROLES:
        return f"unknown role {role!r}"
    for name in SCOPE_CLAIMS:
        value = claims.get(name)
        if value in (None, ""):
            continue
        problem = _claim_problem(name, value)
        if problem:
            return f"{name} {problem}"
    if role == "citizen" and not claims.get("party_id"):
        return "a citizen token needs party_id"
    if role == "clerk" and not (claims.get("department") and claims.get("region_code")):
        return "a clerk token needs department and region_code"
    return None


def _verified_claims(token: str, config: Config) -> dict[str, Any]:
    if config.is_production:
        # Asymmetric keys from the identity provider only: the development secret is never
        # consulted. The start refuses a production without these (api.config).
        if not (config.jwks_url and config.jwt_audience):
            raise InvalidToken("production has no JWKS URL or audience")
        key = _jwks_client(config.jwks_url).get_signing_key_from_jwt(token).key
        return jwt.decode(
            token,
            key,
            algorithms=ASYMMETRIC,
            issuer=ISSUER,
            audience=config.jwt_audience,
            leeway=LEEWAY_S,
            options={"require": [*REQUIRED_CLAIMS, "aud"]},
        )
    return jwt.decode(
        token,
        config.dev_jwt_secret,
        algorithms=["HS256"],
        issuer=ISSUER,
        audience=config.jwt_audience or None,
        leeway=LEEWAY_S,
        options={"require": REQUIRED_CLAIMS},
    )


def decode(token: str, config: Config | None = None) -> Principal:
    config = config or get_config()
    try:
        claims = _verified_claims(token, config)
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    problem = claims_problem(claims)
    if problem:
        raise InvalidToken(problem)
    return Principal(
        sub=claims["sub"],
        role=claims["role"],
        party_id=claims.get("party_id") or None,
        department=claims.get("department") or None,
        region_code=claims.get("region_code") or None,
    )


def check_dev_subject(sub: str) -> str:
    """Development tokens minted for people (the /dev endpoint, `issue_token`) never carry an
    identity number as their subject: it would end up in events and logs (docs/design.md,
    "Personal data"). `dev_subject` gives a citizen an opaque one."""
    if is_resident_id(sub):
        raise ValueError("sub must not be an identity number: leave it out for an opaque one")
    return sub


def dev_subject(role: str, party_id: str | None) -> str:
    """The opaque subject of a development token: stable per party, never the identity number."""
    if role == "citizen" and party_id:
        return "citizen-" + uuid5(_DEV_SUBJECTS, party_id).hex[:16]
    return f"{role}-demo"


_DEV_SUBJECTS = UUID("5d0c7bde-0a5f-4d0e-a1b9-3f1b8f2c6d70")


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
    if config.jwt_audience:
        claims["aud"] = config.jwt_audience
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
