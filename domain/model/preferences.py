"""A party's notification preferences: language, channels, and where to reach them.

One aggregate per party, event-sourced like every other record, so the e-mail address and the
mobile number are stored (and sealed, once the store encrypts personal data) exactly as other
contact details are: `domain/privacy/policy.py` seals the party id, the address and the
number. Its id comes from the party's blind ref (`preferences_id`), never from the identity
number itself, so the aggregate id (also the Kafka key) reveals nothing without the key.

The inbox is always on; `email` and `sms` are the party's choice and need an address or a
mobile number. Without preferences a party is told in zh-Hans, in the inbox only.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.errors import InvalidInput
from domain.model.base import CasetrackAggregate

PREFERENCES_NAMESPACE = UUID("6f1c2a3e-51a0-4c1e-9d3b-cae7a5e70016")
LANGUAGES = ("zh-Hans", "en")
DEFAULT_LANGUAGE = "zh-Hans"
CHANNELS = ("email", "sms")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Mainland mobile numbers: 11 digits starting 1[3-9]; +86 / 0086 is dropped.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def preferences_id(party_ref: str) -> UUID:
    """The preferences' aggregate id from the party's blind ref (`Keyring.party_ref`)."""
    return uuid5(PREFERENCES_NAMESPACE, party_ref)


def validate_email(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value.strip()):
        raise InvalidInput("email", "must be an e-mail address like name@example.cn")
    return value.strip()


def validate_phone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("phone", "must be a mainland mobile number of 11 digits")
    digits = re.sub(r"[\s-]", "", value)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if not _MOBILE.match(digits):
        raise InvalidInput("phone", "must be a mainland mobile number of 11 digits")
    return digits


def validate_preferences(
    language: Any, channels: Any, email: Any, phone: Any
) -> tuple[str, dict[str, bool], str | None, str | None]:
    if language not in LANGUAGES:
        raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
    if not isinstance(channels, dict) or set(channels) - set(CHANNELS):
        raise InvalidInput("channels", "must be an object {email, sms} of true or false")
    chosen = {}
    for name in CHANNELS:
        value = channels.get(name, False)
        if not isinstance(value, bool):
            raise InvalidInput(f"channels.{name}", "must be true or false")
        chosen[name] = value
    email, phone = validate_email(email), validate_phone(phone)
    if chosen["email"] and not email:
        raise InvalidInput("email", "is required when e-mail is chosen")
    if chosen["sms"] and not phone:
        raise InvalidInput("phone", "is required when SMS is chosen")
    return language, chosen, email, phone


class NotificationPreferences(CasetrackAggregate):
    record_name = "notification preferences"

    @staticmethod
    def create_id(party_id: str, party_ref: str) -> UUID:
        return preferences_id(party_ref)

    @event("PreferencesSet")
    def __init__(
        self,
        *,
        party_id: str,
        party_ref: str,
        language: str,
        channels: dict,
        email: str | None,
        phone: str | None,
        department: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> None:
        self.party_id = party_id
        self.department = department
        self.status = "set"
        self._apply(language, channels, email, phone)

    def change(
        self,
        *,
        language: str,
        channels: dict,
        email: str | None,
        phone: str | None,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> bool:
        """Record the new preferences; False (nothing recorded) when they are the same."""
        if (language, channels, email, phone) == (
            self.language,
            self.channels,
            self.email,
            self.phone,
        ):
            return False
        self._changed(
            language=language,
            channels=dict(channels),
            email=email,
            phone=phone,
            actor=actor,
            timestamp=timestamp,
        )
        return True

    @event("PreferencesChanged")
    def _changed(
        self,
        language: str,
        channels: dict,
        email: str | None,
        phone: str | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self._apply(language, channels, email, phone)

    def _apply(self, language: str, channels: dict, email: str | None, phone: str | None) -> None:
        self.language = language
        self.channels = dict(channels)
        self.email = email
        self.phone = phone

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "channels": dict(self.channels),
            "email": self.email,
            "phone": self.phone,
        }


def default_preferences() -> dict[str, Any]:
    return {
        "language": DEFAULT_LANGUAGE,
        "channels": {"email": False, "sms": False},
        "email": None,
        "phone": None,
    }
