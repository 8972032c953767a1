"""Which events become which notifications, and what each one names.

`plan(envelope, subject)` turns one event of the topic into at most one notification for
the party it concerns (the aggregate's `Subject`); the clock's reminders are planned by
`reminder(...)`. Nothing here reads personal data from the envelope: the recipient comes
from the subject (`recipients.py`), the envelope gives only what changed (an outcome, a
reason, an amount, a date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from domain.notifications.recipients import Subject

REMINDER_NAMESPACE = UUID("6f1c2a3e-51a0-4c1e-9d3b-cae7a5e70017")

# kind -> urgent (an urgent SMS is sent in the quiet hours too)
KINDS: dict[str, bool] = {
    "case_submitted": False,
    "case_materials_requested": False,
    "case_accepted": False,
    "case_refused": False,
    "case_decided": False,
    "licence_issued": False,
    "licence_suspended": True,
    "licence_revoked": True,
    "licence_renewed": False,
    "payment_requested": False,
    "fine_imposed": False,
    "payment_settled": False,
    "payment_refunded": False,
    "fine_due_soon": False,
    "licence_expiring": False,
}
CLOCK_KINDS = ("fine_due_soon", "licence_expiring")

EVENT_KINDS = {
    "CaseSubmitted": "case_submitted",
    "CaseMaterialsRequested": "case_materials_requested",
    "CaseAccepted": "case_accepted",
    "CaseRefused": "case_refused",
    "CaseDecided": "case_decided",
    "LicenceIssued": "licence_issued",
    "LicenceSuspended": "licence_suspended",
    "LicenceRevoked": "licence_revoked",
    "LicenceRenewed": "licence_renewed",
    "PaymentRequested": "payment_requested",  # fine_imposed for a fine
    "PaymentSettled": "payment_settled",
    "PaymentRefunded": "payment_refunded",
}

# A fine due in this many days, a licence expiring in this many, is reminded once.
FINE_DUE_DAYS = 3
LICENCE_EXPIRY_DAYS = 30


@dataclass(frozen=True)
class Planned:
    """One notification to record: for `recipient`, about event `event_id`."""

    event_id: str
    recipient: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    case_id: str | None = None
    payment_id: str | None = None
    licence_number: str | None = None

    @property
    def urgent(self) -> bool:
        return KINDS[self.kind]


def interesting(event_type: str) -> bool:
    return event_type in EVENT_KINDS


def plan(envelope: dict, subject: Subject | None, case_number: str | None = None) -> Planned | None:
    """The notification an event makes, None for an event nobody is told of.

    `case_number` names a payment's case (the consumer looks it up for payments of a case)."""
    kind = EVENT_KINDS.get(envelope.get("event_type", ""))
    data = envelope.get("data")
    if kind is None or subject is None or data is None:
        return None
    params: dict[str, Any] = {
        "case_number": subject.case_number or case_number or "",
        "item": subject.item or "",
        "licence_number": subject.licence_number or "",
        "deadline": subject.valid_until or subject.due_date or "",
        "amount_fen": subject.amount_fen,
        "reason": data.get("reason") or data.get("reasons") or "",
    }
    if envelope["aggregate_type"] == "Payment":
        params["item_label"] = subject.payment_kind
        if kind == "payment_requested" and subject.payment_kind == "fine":
            kind = "fine_imposed"
        if kind == "payment_refunded":
            params["amount_fen"] = data.get("amount_fen", subject.amount_fen)
    if kind == "case_materials_requested":
        params["materials"] = "、".join(data.get("codes") or [])
    elif kind == "case_accepted":
        params["deadline"] = data.get("promised_due") or ""
    elif kind == "case_decided":
        params["outcome_label"] = data.get("outcome")
    elif kind == "licence_renewed":
        params["deadline"] = data.get("valid_until") or params["deadline"]
    return Planned(
        event_id=envelope["event_id"],
        recipient=subject.recipient,
        kind=kind,
        params=params,
        case_id=subject.case_id,
        payment_id=subject.payment_id,
        licence_number=subject.licence_number,
    )


def reminder(kind: str, subject: Subject, deadline: str) -> Planned:
    """A reminder from the clock. Its `event_id` is a name-based UUID of what it reminds of
    and the deadline, so it is recorded once per deadline (a renewed licence, with a new
    expiry day, is reminded again)."""
    if kind not in CLOCK_KINDS:
        raise ValueError(f"not a reminder: {kind}")
    about = subject.payment_id or subject.licence_number
    return Planned(
        event_id=str(uuid5(REMINDER_NAMESPACE, f"{kind}:{about}:{deadline}")),
        recipient=subject.recipient,
        kind=kind,
        params={
            "case_number": subject.case_number or "",
            "item": subject.item or "",
            "licence_number": subject.licence_number or "",
            "deadline": deadline,
            "amount_fen": subject.amount_fen,
            "item_label": subject.payment_kind,
            "reason": "",
        },
        case_id=subject.case_id,
        payment_id=subject.payment_id,
        licence_number=subject.licence_number,
    )
