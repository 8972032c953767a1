"""What a channel answers for one send."""

from __future__ import annotations

from dataclasses import dataclass

SENT, DELIVERED, TEMPORARY, PERMANENT = "sent", "delivered", "temporary", "permanent"
UNKNOWN = "unknown"  # the message may have been taken: reconciled, never sent again blindly


@dataclass(frozen=True)
class SendResult:
    status: str  # sent | delivered | temporary | permanent | unknown
    reference: str | None = None
    error: str | None = None  # a code or a server's answer; never an address or a number
