"""A party's notification preferences (docs/api.md, "Notifications"): read and set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.model.preferences import (
    NotificationPreferences,
    default_preferences,
    preferences_id,
    validate_preferences,
)
from domain.services.base import OK, Commands, Outcome
from domain.store.records import IdempotencyRequest


def preferences_body(preferences: NotificationPreferences) -> dict[str, Any]:
    return {**preferences.as_dict(), "version": preferences.version}


class PreferenceCommands(Commands):
    def notification_preferences(self, party_id: str) -> dict[str, Any]:
        """The party's preferences, or the defaults (zh-Hans, inbox only) when never set."""
        found = self.load_or_none(preferences_id(self.keyring.party_ref(party_id)))
        if isinstance(found, NotificationPreferences):
            return preferences_body(found)
        return {**default_preferences(), "version": 0}

    def set_notification_preferences(
        self,
        *,
        party_id: str,
        language: Any,
        channels: Any,
        email: Any,
        phone: Any,
        actor: dict,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        language, channels, email, phone = validate_preferences(language, channels, email, phone)
        party_ref = self.keyring.party_ref(party_id)

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            found = self.load_or_none(preferences_id(party_ref))
            if isinstance(found, NotificationPreferences):
                found.change(
                    language=language,
                    channels=channels,
                    email=email,
                    phone=phone,
                    actor=actor,
                    timestamp=now,
                )
                return [found]
            return [
                NotificationPreferences(
                    party_id=party_id,
                    party_ref=party_ref,
                    language=language,
                    channels=channels,
                    email=email,
                    phone=phone,
                    department="",
                    actor=actor,
                    timestamp=now,
                )
            ]

        # The answer stored with an idempotency key holds no address or number (it is kept in
        # plain columns); the API reads the preferences back from the aggregate.
        return self._run(
            build,
            lambda p: {"version": p.version, "status": "set"},
            status=OK,
            idempotency=idempotency,
        )
