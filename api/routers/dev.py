"""Development-only helpers for the portal's demo sign-in; 404 in production."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema

from api.auth import issue_dev_token
from api.config import get_config
from api.schemas.common import PROBLEMS

router = Router(tags=["development"])


class DevTokenIn(Schema):
    role: str
    sub: str | None = None
    party_id: str | None = None
    department: str | None = None
    region_code: str | None = None


class DevTokenOut(Schema):
    token: str
    role: str
    sub: str


def _development_only() -> None:
    if get_config().is_production:
        raise Http404("No such endpoint.")


@router.post(
    "/tokens",
    response={200: DevTokenOut, **PROBLEMS},
    auth=None,
    summary="Mint a demo token (development only)",
)
def dev_token(request, payload: DevTokenIn):
    _development_only()
    from api.auth import ROLES
    from domain.errors import InvalidInput

    if payload.role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}")
    sub = payload.sub or f"{payload.role}-demo"
    token = issue_dev_token(
        role=payload.role,
        sub=sub,
        party_id=payload.party_id,
        department=payload.department,
        region_code=payload.region_code,
    )
    return {"token": token, "role": payload.role, "sub": sub}
