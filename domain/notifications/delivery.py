"""The rules of one delivery (one notification on one channel), without any I/O.

    queued ──claim (intent recorded)──> sending ──answer──> sent ──receipt──> delivered
       ^                                   │  │                     └───────> failed
       └──── temporary failure (backoff) ──┘  └── permanent failure ──> failed (+ fallback)
                                   sending, its process gone ──> unknown ──reconcile──> sent | queued

- The inbox is a channel that is delivered when the notification is recorded.
- A temporary failure (the server busy, unreachable, a 4xx) is retried with exponential
  backoff, 30 s doubling to at most an hour, for up to 72 hours after the notification;
  then it fails.
- A permanent failure (a 5xx, a number the provider refuses) falls back: SMS to e-mail (when
  the party gave an address and e-mail is not already on its way), e-mail to the inbox only.
- SMS is sent between 08:00 and 22:00 Asia/Shanghai; outside, it waits for 08:00 unless the
  notification is urgent.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

INBOX, EMAIL, SMS = "inbox", "email", "sms"
CHANNELS = (INBOX, EMAIL, SMS)

QUEUED, SENDING, SENT, DELIVERED, FAILED, UNKNOWN = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "unknown",
)
STATUSES = (QUEUED, SENDING, SENT, DELIVERED, FAILED, UNKNOWN)
FINAL = (SENT, DELIVERED, FAILED)

RETRY_FOR = timedelta(hours=72)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
QUIET_ENDS = time(8, 0)
QUIET_STARTS = time(22, 0)

FALLBACK = {SMS: EMAIL, EMAIL: None}


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1, 2, ...)."""
    return min(FIRST_BACKOFF * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def retry_at(created_at: datetime, now: datetime, attempts: int) -> datetime | None:
    """When to try again after a temporary failure; None once 72 hours are spent."""
    at = now + backoff(attempts)
    return at if at <= created_at + RETRY_FOR else None


def not_before(channel: str, now: datetime, *, urgent: bool) -> datetime:
    """The earliest moment this channel may send at or after `now` (the quiet hours)."""
    if channel != SMS or urgent:
        return now
    local = now.astimezone(SHANGHAI)
    if QUIET_ENDS <= local.time() < QUIET_STARTS:
        return now
    day = local.date() if local.time() < QUIET_ENDS else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_ENDS, tzinfo=SHANGHAI).astimezone(now.tzinfo)


def fallback(channel: str) -> str | None:
    return FALLBACK.get(channel)
