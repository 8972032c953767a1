"""Erasure of a person's data (PIPL art. 47): crypto-shredding across every copy.

`erase_party` finds the person's data keys by their blind ref, records `PartyErased` and a
`PersonalDataErased` on every record that held their data, and deletes the keys, all in one
write transaction; then the keyring forgets its cache and the store scrubs its files. Records
under a `permanent` retention rule keep their keys, marked restricted: storage and protection
only (art. 47 para. 2), never opened for a view. docs/design.md, "Personal data".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate

from domain.application import Tx
from domain.errors import NotFound
from domain.identifiers import validate_party_id
from domain.model.erasure import Erasure, erasure_id
from domain.privacy.policy import REFS, is_permanent_record
from domain.services.base import CREATED, Commands, Outcome
from domain.store import notifications
from domain.store.records import IdempotencyRequest


def erasure_body(erasure: Erasure) -> dict[str, Any]:
    return {
        "erasure_id": str(erasure.id),
        "version": erasure.version,
        "status": erasure.status,
        "erased_records": len(erasure.erased),
        "restricted_records": len(erasure.restricted),
        "keys_deleted": erasure.keys_deleted,
        "erased_at": erasure.erased_at.isoformat() if erasure.erased_at else None,
    }


class PrivacyCommands(Commands):
    def erase_party(
        self,
        *,
        party_id: str,
        legal_basis: str,
        reason: str,
        actor: dict,
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        party_id = validate_party_id(party_id)
        party_ref = self.keyring.party_ref(party_id)
        done = self.load_or_none(erasure_id(party_ref))
        if done is not None:
            body = {**erasure_body(done), "position": None}
            return Outcome(status=200, body=body)  # the same erasure, already done
        keys = [k for k in self.store.subject_keys(party_ref) if k.purpose == "data"]
        if not keys:
            raise NotFound(record="party", identifier="the given party")
        aggregate_ids = sorted({k.aggregate_id for k in keys}, key=str)

        def build(tx: Tx) -> Sequence[Aggregate]:
            now = self.clock()
            records = [self.repository.get(i) for i in aggregate_ids]
            keep = {r.id for r in records if is_permanent_record(r, self._case_of)}
            for record in records:
                record.erase_personal_data(
                    party_ref=party_ref, restricted=record.id in keep, actor=actor, timestamp=now
                )
            tx.forget_keys(
                delete=[k.key_id for k in keys if k.aggregate_id not in keep],
                restrict=[k.key_id for k in keys if k.aggregate_id in keep],
                snapshots_of=aggregate_ids if self.snapshots is not None else [],
            )
            erasure = Erasure.record(
                party_ref=party_ref,
                legal_basis=legal_basis,
                reason=reason,
                erased=[str(i) for i in aggregate_ids if i not in keep],
                restricted=[str(i) for i in aggregate_ids if i in keep],
                keys_deleted=sum(1 for k in keys if k.aggregate_id not in keep),
                actor=actor,
                timestamp=now,
            )
            return [erasure, *records]

        outcome = self._run(build, erasure_body, status=CREATED, idempotency=idempotency)
        notifications.forget_recipient(self.store, party_ref)
        self.keyring.forget_cached()
        self.store.scrub_after_erasure()  # type: ignore[attr-defined]
        return outcome

    def export_party(self, party_id: str) -> dict[str, Any]:
        """Every record about a party, with its whole history, as stored (PIPL art. 45):
        the records are those holding data under the party's keys; values sealed under
        anyone else's key read `[another person]`."""
        party_ref = self.keyring.party_ref(party_id)
        keys = [k for k in self.store.subject_keys(party_ref) if k.purpose == "data"]
        mine = frozenset(k.key_id for k in keys)
        records = []
        for aggregate_id in sorted({k.aggregate_id for k in keys}, key=str):
            events = []
            record_type = ""
            for logged in self.read_stream(aggregate_id):
                record_type, event_type = _names(logged.topic)
                state = orjson.loads(logged.state)
                state.pop(REFS, None)
                opened = self.keyring.open_tree(state, aggregate_id, only_keys=mine)
                data = self.mapper.transcoder.decode(orjson.dumps(opened))
                occurred_at = data.pop("timestamp", None)
                data.pop("originator_topic", None)
                data.pop("class_version", None)
                events.append(
                    {
                        "version": logged.originator_version,
                        "position": logged.position,
                        "event_type": event_type,
                        "occurred_at": occurred_at,
                        "data": data,
                    }
                )
            records.append(
                {"record_type": record_type, "record_id": str(aggregate_id), "events": events}
            )
        _, _, notes = notifications.inbox(self.store, party_ref, limit=100_000)
        return {
            "party_id": party_id,
            "exported_at": self.clock(),
            "records": records,
            "notifications": notes,
        }

    def _case_of(self, case_id: UUID) -> Any:
        return self.load_or_none(case_id)


def _names(topic: str) -> tuple[str, str]:
    """`domain.model.case:Case.CaseSubmitted` -> (`Case`, `CaseSubmitted`)."""
    parts = topic.rsplit(":", 1)[-1].split(".")
    return parts[0], parts[-1]
