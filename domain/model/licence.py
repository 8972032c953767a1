"""An electronic licence or certificate, issued when a case of an item with a licence type
is approved. Its aggregate id is uuid5 of its number, so public verification by number
reads the event store without any read model. ``state(now)`` (valid, expired, suspended,
revoked) is a function of the events and the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
STATUSES = (ACTIVE, SUSPENDED, REVOKED)
STATES = ("valid", "expired", "suspended", "revoked")


def licence_id(number: str) -> UUID:
    return uuid5(LICENCE_NAMESPACE, number)


class Licence(CasetrackAggregate):
    record_name = "licence"
    final_statuses = (REVOKED,)

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
            actor=actor,
            timestamp=timestamp,
        )

    @event("LicenceRenewed")
    def _renewed(
        self, valid_until: date, reason: str, actor: dict, timestamp: datetime | None
    ) -> None:
        self.valid_until = valid_until
        self.renewals += 1

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

    # --- reading ------------------------------------------------------------------------

    def state(self, now: datetime) -> str:
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
