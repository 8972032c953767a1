"""A citizen's notifications and how they are told: `/me/notifications`,
`/me/notification-preferences` (docs/api.md, "Notifications").

The inbox is read from the notification tables in the event store's database, scoped to the
party in the caller's token inside the query: another party's notification is 404, like a
missing one. Preferences are a command (an event of the party's preferences aggregate) and a
read of that aggregate; both answer the preferences.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema
from pydantic import Field

from api.auth import require
from api.command_support import REPLAYED_HEADER, IdempotencyKey, app, forbid, idempotency
from api.schemas.common import PROBLEMS
from domain.errors import NotFound
from domain.store import notifications as records

router = Router(tags=["me"])


class InboxIn(Schema):
    unread: bool | None = Field(None, description="true: only the unread ones")
    page: int = Field(1, ge=1, le=10_000)
    size: int = Field(20, ge=1, le=100)


class DeliveryOut(Schema):
    channel: Literal["inbox", "email", "sms"]
    status: Literal["queued", "sending", "sent", "delivered", "failed", "unknown"]
    attempts: int
    updated_at: str


class NotificationOut(Schema):
    notification_id: str
    event_id: str
    kind: str
    title: str
    body: str
    case_id: str | None = None
    payment_id: str | None = None
    licence_number: str | None = None
    created_at: str
    read_at: str | None = None
    deliveries: list[DeliveryOut]


class InboxOut(Schema):
    total: int
    unread: int
    page: int
    size: int
    items: list[NotificationOut]


class ReadOut(Schema):
    notification_id: str
    read_at: str


class ChannelsIn(Schema):
    email: bool = False
    sms: bool = False


class PreferencesIn(Schema):
    language: Literal["zh-Hans", "en"] = "zh-Hans"
    channels: ChannelsIn = Field(default_factory=ChannelsIn)
    email: str | None = Field(None, max_length=254, examples=["zhang.san@example.cn"])
    phone: str | None = Field(None, max_length=20, examples=["13800138000"])


class PreferencesOut(Schema):
    language: Literal["zh-Hans", "en"]
    channels: ChannelsIn
    email: str | None = None
    phone: str | None = None
    version: int


@router.get(
    "/notifications",
    response={200: InboxOut, **PROBLEMS},
    summary="My notifications, newest first",
    description="Every notification the platform sent me, with how each channel delivered it. "
    "`unread=true` lists only the unread ones; `total` counts what the filter matches, "
    "`unread` all my unread notifications.",
    operation_id="api_routers_me_my_notifications",
)
def my_notifications(request: HttpRequest, params: Query[InboxIn]):
    principal = require(request, "citizen")
    if not principal.party_id:
        return {"total": 0, "unread": 0, "page": params.page, "size": params.size, "items": []}
    total, unread, items = records.inbox(
        app().store,
        app().keyring.party_ref(principal.party_id),
        unread_only=bool(params.unread),
        offset=(params.page - 1) * params.size,
        limit=params.size,
    )
    return {
        "total": total,
        "unread": unread,
        "page": params.page,
        "size": params.size,
        "items": items,
    }


@router.post(
    "/notifications/{notification_id}/read",
    response={200: ReadOut, **PROBLEMS},
    summary="Mark one of my notifications read",
    description="Idempotent by nature: reading it again keeps the first `read_at` and answers "
    "the same, so an `Idempotency-Key` is accepted like on every command but nothing is stored "
    "for it. 404 for a notification that is not mine.",
    operation_id="api_routers_me_read_notification",
)
def read_notification(
    request: HttpRequest,
    notification_id: Path[UUID],
    key: str | None = IdempotencyKey,  # accepted, unused: the answer is the same on every retry
):
    principal = require(request, "citizen")
    marked = (
        records.mark_read(
            app().store,
            app().keyring.party_ref(principal.party_id),
            str(notification_id),
            datetime.now(UTC),
        )
        if principal.party_id
        else None
    )
    if marked is None:
        raise NotFound(record="notification", identifier=notification_id)
    return marked


def _party(request: HttpRequest) -> str:
    principal = require(request, "citizen")
    if not principal.party_id:
        raise forbid("This token names no party.")
    return principal.party_id


@router.get(
    "/notification-preferences",
    response={200: PreferencesOut, **PROBLEMS},
    summary="How I am told",
    description="My language and the channels besides the inbox; zh-Hans and the inbox only "
    "until I set them.",
    operation_id="api_routers_me_notification_preferences",
)
def my_preferences(request: HttpRequest):
    return app().notification_preferences(_party(request))


@router.put(
    "/notification-preferences",
    response={200: PreferencesOut, **PROBLEMS},
    summary="Set how I am told",
    description="Language (`zh-Hans` or `en`), e-mail and SMS on or off, the address and the "
    "mainland mobile number (11 digits; `+86` is dropped). A channel that is on needs its "
    "address. 422 for a malformed address or number, and nothing is recorded.",
    operation_id="api_routers_me_set_notification_preferences",
)
def set_my_preferences(
    request: HttpRequest,
    response: HttpResponse,
    payload: PreferencesIn,
    key: str | None = IdempotencyKey,
):
    principal = require(request, "citizen")
    outcome = app().set_notification_preferences(
        party_id=_party(request),
        language=payload.language,
        channels=payload.channels.model_dump(),
        email=payload.email,
        phone=payload.phone,
        actor=principal.actor(),
        idempotency=idempotency(request, principal, key, payload),
    )
    if outcome.replayed:
        response[REPLAYED_HEADER] = "true"
    return app().notification_preferences(_party(request))
