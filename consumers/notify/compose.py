"""From a planned notification to the record: the party's language and channels, the words.

The party's preferences are read from the event store (the aggregate, opened by the store's
mapper); the e-mail address and mobile number are not copied into the records: the
dispatcher reads them again at each send. A recipient is recorded as the party's blind ref.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.model.preferences import NotificationPreferences, default_preferences, preferences_id
from domain.notifications.delivery import EMAIL, SMS, not_before
from domain.notifications.kinds import Planned
from domain.notifications.templates import render
from domain.store.notifications import NewNotification


def preferences(app: Any, party_ref: str) -> dict[str, Any]:
    found = app.load_or_none(preferences_id(party_ref))
    if isinstance(found, NotificationPreferences):
        return found.as_dict()
    return default_preferences()


def compose(
    planned: Planned, recipient: str, prefs: dict[str, Any], now: datetime
) -> NewNotification:
    """The record of `planned` for `recipient` (the party's blind ref)."""
    words = render(planned.kind, prefs["language"], planned.params)
    channels = {}
    if prefs["channels"].get(EMAIL) and prefs.get("email"):
        channels[EMAIL] = now
    if prefs["channels"].get(SMS) and prefs.get("phone"):
        channels[SMS] = not_before(SMS, now, urgent=planned.urgent)
    return NewNotification(
        event_id=planned.event_id,
        recipient=recipient,
        kind=planned.kind,
        language=prefs["language"],
        title=words.title,
        body=words.body,
        params=planned.params,
        urgent=planned.urgent,
        case_id=planned.case_id,
        payment_id=planned.payment_id,
        licence_number=planned.licence_number,
        created_at=now,
        channels=channels,
    )
