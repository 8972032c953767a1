"""An electronic licence or certificate, issued when a case of an item with a licence type
is approved. Its aggregate id is uuid5 of its number, so public verification by number
reads the event store without any read model. ``state(now)`` (valid, expired, suspended,
revoked) is a function of the events and the clock.

Licence numbers are sequential, so public verification also needs the licence's verification
code (docs/api.md, "Licences"): 12 characters from an alphabet without look-alikes (no 0/O,
1/I/L), 59 bits from ``secrets``, drawn at issue and recorded in ``LicenceIssued`` (v2). A
licence issued before codes existed (``LicenceIssued`` v1) has none, so it verifies as unknown
until it is renewed: renewal keeps a licence's code (printed copies and QR codes stay good) and
gives one to a licence that has none (``LicenceRenewed`` v2).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.calendar import shanghai_date
from domain.errors import IllegalTransition, RuleBroken
from domain.identifiers import mask_id, mask_name
from domain.model.base import CasetrackAggregate, optional_text, required_text, utcnow

LICENCE_NAMESPACE = UUID("6f1c2a3e-51a0-4c1e-9d3b-cae7a5e70002")
ACTIVE = "active"
SUSPENDED = "suspended"
REVOKED = "revoked"
DESTROYED = "destroyed"  # with its case, when the case's retention ended
STATUSES = (ACTIVE, SUSPENDED, REVOKED, DESTROYED)
STATES = ("valid", "expired", "suspended", "revoked")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def licence_id(number: str) -> UUID:
    return uuid5(LICENCE_NAMESPACE, number)


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str | None) -> str:
    """A code as typed from paper: case, spaces and hyphens do not matter."""
    return "".join(c for c in (code or "").upper() if c not in " -")


def code_matches(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` is the licence's code, compared in constant time; a licence without a
    code (or no licence: ``expected`` None) is compared with a stand-in so that every refusal
    costs the same."""
    reference = (expected or "-" * CODE_LENGTH).encode()
    same = hmac.compare_digest(normalise_code(given).encode("utf-8", "replace"), reference)
    return same and expected is not None


class Licence(CasetrackAggregate):
    record_name = "licence"
    final_statuses = (REVOKED, DESTROYED)
    # A snapshot taken before codes existed has no attribute: such a licence has no code.
    verification_code: str | None = None

    class LicenceIssued(CasetrackAggregate.Created):
        """v2 adds ``verification_code``; a v1 licence has none."""

        class_version = 2
        number: str
        holder: dict
        item_code: str
        item_name: str
        licence_type: str
        case_id: UUID
        valid_from: date
        valid_until: date | None
        valid_days: int | None
        region_code: str
        verification_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["verification_code"] = None

    class LicenceRenewed(CasetrackAggregate.Event):
        """v2 adds ``verification_code``: the code given to a licence that had none, else None."""

        class_version = 2
        valid_until: date
        reason: str
        verification_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["verification_code"] = None

    @staticmethod
    def create_id(number: str) -> UUID:
        return licence_id(number)

    @classmethod
    def issue(
        cls,
        *,
        number: str,
        holder: dict,
        item_code: str,
        item_name: str,
        licence_type: str,
        case_id: UUID,
        valid_days: int | None,
        department: str,
        region_code: str,
        actor: dict,
        timestamp: datetime | None = None,
    ) -> Licence:
        timestamp = timestamp or utcnow()
        valid_from = shanghai_date(timestamp)
        return cls(
            number=number,
            holder=dict(holder),
            item_code=item_code,
            item_name=item_name,
            licence_type=licence_type,
            case_id=case_id,
            valid_from=valid_from,
            valid_until=valid_from + timedelta(days=valid_days - 1) if valid_days else None,
            valid_days=valid_days,
            department=department,
            region_code=region_code,
            verification_code=new_verification_code(),
            actor=actor,
            timestamp=timestamp,
        )

    @event("LicenceIssued")
    def __init__(
        self,
        *,
        number: str,
        holder: dict,
        item_code: str,
        item_name: str,
        licence_type: str,
        case_id: UUID,
        valid_from: date,
        valid_until: date | None,
        valid_days: int | None,
        department: str,
        region_code: str,
        verification_code: str | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.number = number
        self.holder = holder
        self.item_code = item_code
        self.item_name = item_name
        self.licence_type = licence_type
        self.case_id = case_id
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.valid_days = valid_days
        self.department = department
        self.region_code = region_code
        self.verification_code = verification_code
        self.status = ACTIVE
        self.issued_at = timestamp
        self.renewals = 0
        self.reason = ""

    def renew(self, *, actor: dict, reason: str = "", timestamp: datetime | None = None) -> None:
        self.check_status("renew", ACTIVE, why="only an active licence can be renewed")
        if self.valid_days is None or self.valid_until is None:
            raise RuleBroken("This licence does not expire; there is nothing to renew.")
        timestamp = timestamp or utcnow()
        start = max(self.valid_until, shanghai_date(timestamp) - timedelta(days=1))
        self._renewed(
            valid_until=start + timedelta(days=self.valid_days),
            reason=optional_text(reason, "reason"),
            verification_code=None if self.verification_code else new_verification_code(),
            actor=actor,
            timestamp=timestamp,
        )

    @event(LicenceRenewed)
    def _renewed(
        self,
        valid_until: date,
        reason: str,
        verification_code: str | None,
        actor: dict,
        timestamp: datetime | None,
    ) -> None:
        self.valid_until = valid_until
        self.renewals += 1
        if verification_code:
            self.verification_code = verification_code

    def suspend(self, *, reason: str, actor: dict, timestamp: datetime | None = None) -> None:
        self.check_status("suspend", ACTIVE, why="only an active licence can be suspended")
        self._suspended(reason=required_text(reason, "reason"), actor=actor, timestamp=timestamp)

    @event("LicenceSuspended")
    def _suspended(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = SUSPENDED
        self.reason = reason

    def resume(self, *, reason: str = "", actor: dict, timestamp: datetime | None = None) -> None:
        self.check_status("resume", SUSPENDED, why="only a suspended licence can be resumed")
        self._resumed(reason=optional_text(reason, "reason"), actor=actor, timestamp=timestamp)

    @event("LicenceResumed")
    def _resumed(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = ACTIVE
        self.reason = reason

    def revoke(self, *, reason: str, actor: dict, timestamp: datetime | None = None) -> None:
        if self.status == DESTROYED:
            self.check_not_final("revoke")
        if self.status == REVOKED:
            raise IllegalTransition(
                record=self.record_name,
                action="revoke",
                status=self.status,
                why="it is already revoked",
            )
        self._revoked(reason=required_text(reason, "reason"), actor=actor, timestamp=timestamp)

    @event("LicenceRevoked")
    def _revoked(self, reason: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = REVOKED
        self.reason = reason

    # --- retention (docs/design.md, "Retention") ----------------------------------------

    def destroy(self, *, case_number: str, actor: dict, timestamp: datetime | None = None) -> None:
        """With its case: the holder and the code are forgotten; it verifies as unknown."""
        if self.status == DESTROYED:
            self.check_not_final("destroy")
        self._destroyed(case_number=case_number, actor=actor, timestamp=timestamp)

    @event("LicenceDestroyed")
    def _destroyed(self, case_number: str, actor: dict, timestamp: datetime | None) -> None:
        self.status = DESTROYED
        self.holder, self.verification_code, self.reason = None, None, ""

    # --- reading ------------------------------------------------------------------------

    def state(self, now: datetime) -> str:
        if self.status == DESTROYED:
            return "unknown"
        if self.status == REVOKED:
            return "revoked"
        if self.status == SUSPENDED:
            return "suspended"
        if self.valid_until is not None and shanghai_date(now) > self.valid_until:
            return "expired"
        return "valid"

    def public_view(self, now: datetime) -> dict:
        """What public verification shows: holder masked when a person."""
        holder = dict(self.holder)
        if holder.get("kind") == "person":
            holder["name"] = mask_name(holder["name"])
            holder["party_id"] = mask_id(holder["party_id"])
        return {
            "licence_number": self.number,
            "state": self.state(now),
            "holder": holder,
            "item_code": self.item_code,
            "item_name": self.item_name,
            "licence_type": self.licence_type,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }
