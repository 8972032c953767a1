"""The delivery rules: backoff up to 72 hours, quiet hours for SMS, the fallback order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.notifications import delivery as rules


def test_backoff_doubles_to_an_hour_and_stops_after_72_hours() -> None:
    assert [rules.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert rules.backoff(20) == timedelta(hours=1)
    created = datetime(2026, 12, 1, tzinfo=UTC)
    assert rules.retry_at(created, created, 1) == created + timedelta(seconds=30)
    late = created + timedelta(hours=71, minutes=30)
    assert rules.retry_at(created, late, 10) is None


def test_sms_waits_for_eight_in_shanghai_unless_urgent() -> None:
    # 23:30 in Shanghai is 15:30 UTC; 08:00 the next morning is 00:00 UTC.
    night = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert rules.not_before("sms", night, urgent=False) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert rules.not_before("sms", night, urgent=True) == night
    assert rules.not_before("email", night, urgent=False) == night
    # 06:00 in Shanghai waits for 08:00 the same day; 21:59 is sent.
    early = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    assert rules.not_before("sms", early, urgent=False) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    evening = datetime(2026, 12, 1, 13, 59, tzinfo=UTC)
    assert rules.not_before("sms", evening, urgent=False) == evening


def test_fallback_order() -> None:
    assert rules.fallback("sms") == "email"
    assert rules.fallback("email") is None
