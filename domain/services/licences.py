"""Commands on licences: suspend, resume, revoke, renew. A licence is issued by the case
command that approves it (:meth:`CaseCommands.decide_case`)."""

from __future__ import annotations

from typing import Any

from domain.model.licence import Licence, licence_id
from domain.services.base import Commands, Outcome, Target
from domain.store.records import IdempotencyRequest


def licence_body(licence: Licence) -> dict[str, Any]:
    return {
        "licence_number": licence.number,
        "status": licence.status,
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "version": licence.version,
    }


LICENCE = Target(Licence, licence_id, licence_body)


class LicenceCommands(Commands):
    def get_licence(self, number: str) -> Licence | None:
        licence = self.load_or_none(licence_id(number))
        return licence if isinstance(licence, Licence) else None

    def suspend_licence(
        self,
        *,
        licence_number: str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            LICENCE,
            licence_number,
            lambda licence, now: licence.suspend(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def resume_licence(
        self,
        *,
        licence_number: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            LICENCE,
            licence_number,
            lambda licence, now: licence.resume(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def revoke_licence(
        self,
        *,
        licence_number: str,
        reason: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            LICENCE,
            licence_number,
            lambda licence, now: licence.revoke(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def renew_licence(
        self,
        *,
        licence_number: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            LICENCE,
            licence_number,
            lambda licence, now: licence.renew(reason=reason, actor=actor, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )
