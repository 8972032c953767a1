"""Commands on the catalogue: publish, revise and withdraw a service item."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.errors import Duplicate
from domain.model.service_item import ServiceItem, item_id, validate_item_code
from domain.services.base import CREATED, Commands, Outcome, Target
from domain.store.records import IdempotencyRequest


def item_body(item: ServiceItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "version": item.version,
        "status": item.status,
        "revision": item.revision,
    }


ITEM = Target(ServiceItem, lambda code: item_id(validate_item_code(code)), item_body)


class CatalogueCommands(Commands):
    def publish_item(
        self, *, code: str, actor: dict, idempotency: IdempotencyRequest | None = None, **terms: Any
    ) -> Outcome:
        code = validate_item_code(code)

        def build(tx: Tx) -> Sequence[Aggregate]:
            if self.load_or_none(item_id(code)) is not None:
                raise Duplicate(f"A service item with code {code} already exists.", code=code)
            return [ServiceItem.publish(code=code, actor=actor, timestamp=self.clock(), **terms)]

        return self._run(build, item_body, status=CREATED, idempotency=idempotency)

    def revise_item(
        self,
        *,
        code: str,
        actor: dict,
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
        **terms: Any,
    ) -> Outcome:
        return self._change(
            ITEM,
            code,
            lambda item, now: item.revise(actor=actor, timestamp=now, **terms),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def withdraw_item(
        self,
        *,
        code: str,
        actor: dict,
        reason: str = "",
        expected_version: int | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        return self._change(
            ITEM,
            code,
            lambda item, now: item.withdraw(actor=actor, reason=reason, timestamp=now),
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def get_item(self, code: str) -> ServiceItem:
        return self._load(ServiceItem, item_id(validate_item_code(code, field="item_code")))
