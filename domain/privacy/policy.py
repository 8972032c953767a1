"""Which values of which events are personal data, and whose.

Sealed (docs/design.md, "Personal data"): the names of every party, the identity numbers of
natural persons (a person's party id IS their identity number; a business's unified credit code
stays plain), the case's free-text form and its documents' references, a rating's comment, and
a citizen actor's subject and party id. Each value is sealed under the key of the person it
belongs to in this aggregate, so erasing a person deletes exactly their keys and destroying a
case deletes the case's. Next to every sealed party the stored state gets blind refs under the
reserved key `_refs_` (path -> ref), which the read models use for scoping and exact search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.identifiers import party_kind_of
from domain.privacy.keyring import ERASED, SealSession

REFS = "_refs_"

# (event class name) -> parties: (field, flat?) ; owner fields: names sealed under the owner.
_PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    "CaseSubmitted": ("applicant",),
    "ViolationRecorded": ("party",),
    "LicenceIssued": ("holder",),
}
_OWNER_FIELDS: dict[str, tuple[str, ...]] = {
    "CaseSubmitted": ("form",),
    "CaseRated": ("comment",),
    # A party's notification preferences: their party id and how to reach them.
    "PreferencesSet": ("party_id", "email", "phone"),
    "PreferencesChanged": ("email", "phone"),
}
_OWNER_DOCUMENTS: frozenset[str] = frozenset({"CaseSubmitted", "CaseMaterialsSupplemented"})


def owner_party_id(aggregate: Any) -> str | None:
    """The person (or business) whose record an aggregate is."""
    for attr in ("applicant", "holder", "party"):
        party = getattr(aggregate, attr, None)
        if isinstance(party, dict) and party.get("party_id"):
            return party["party_id"]
    payer = getattr(aggregate, "payer_party_id", None)
    if isinstance(payer, str):
        return payer
    own = getattr(aggregate, "party_id", None)  # a party's own record (notification preferences)
    return own if isinstance(own, str) else None


def is_person(party_id: str) -> bool:
    return party_kind_of(party_id) == "person"


class Sealer:
    """Seals one event's state (a dict about to be transcoded) inside a write transaction."""

    def __init__(self, session: SealSession) -> None:
        self.session = session
        self.blind = session.keyring.blind

    def seal_state(
        self, event_name: str, state: dict[str, Any], aggregate_id: UUID, owner: str | None
    ) -> dict[str, Any]:
        refs: dict[str, str] = {}
        state = dict(state)

        def seal(value: Any, party_id: str) -> Any:
            if value is None or value == ERASED or party_id == ERASED:
                return value
            return self.session.seal(value, self.session.party_ref(party_id), aggregate_id)

        for field in _PARTY_FIELDS.get(event_name, ()):
            party = state.get(field)
            if isinstance(party, dict) and party.get("party_id"):
                state[field], refs_of = self._party(party, seal)
                refs.update({f"{field}{k}": v for k, v in refs_of.items()})
        if event_name == "PaymentRequested" and state.get("payer_party_id"):
            sealed, refs_of = self._party(
                {"party_id": state["payer_party_id"], "name": state.get("payer_name")}, seal
            )
            state["payer_party_id"], state["payer_name"] = sealed["party_id"], sealed["name"]
            refs.update({f"payer{k}": v for k, v in refs_of.items()})
        if owner is not None:
            for field in _OWNER_FIELDS.get(event_name, ()):
                if state.get(field):
                    state[field] = seal(state[field], owner)
            if event_name in _OWNER_DOCUMENTS and isinstance(state.get("materials"), list):
                state["materials"] = [
                    {**m, "document_ref": seal(m.get("document_ref"), owner)}
                    if isinstance(m, dict)
                    else m
                    for m in state["materials"]
                ]
        actor = state.get("actor")
        if isinstance(actor, dict) and actor.get("role") == "citizen":
            person = actor.get("party_id") or owner
            if person:
                sealed_actor = dict(actor)
                for key in ("subject", "party_id"):
                    if sealed_actor.get(key):
                        sealed_actor[key] = seal(sealed_actor[key], person)
                state["actor"] = sealed_actor
                if person != ERASED:
                    refs["actor"] = self.session.party_ref(person)
        if refs:
            state[REFS] = refs
        return state

    def _party(
        self, party: dict[str, Any], seal: Callable[[Any, str], Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        party_id = party["party_id"]
        if party_id == ERASED:
            return party, {}
        refs = {"": self.session.party_ref(party_id)}
        sealed = dict(party)
        if party.get("name") and party["name"] != ERASED:
            refs[".name"] = self.blind.name_ref(party["name"])
            sealed["name"] = seal(party["name"], party_id)
        if party.get("kind", "person" if is_person(party_id) else "business") == "person":
            sealed["party_id"] = seal(party_id, party_id)
        return sealed, refs


def is_permanent_record(record: Any, load_case: Callable[[Any], Any]) -> bool:
    """Whether a retention rule keeps this record for ever: a case whose archive disposition
    (or, before it closes, its item's rule) is `permanent`, and the licence issued on it."""
    case = record
    if type(record).__name__ == "Licence":
        case = load_case(record.case_id)
    if case is None or type(case).__name__ != "Case":
        return False
    archive = getattr(case, "archive", None)
    if isinstance(archive, dict) and archive.get("disposition"):
        return archive["disposition"] == "permanent"
    retention = (getattr(case, "item", None) or {}).get("retention") or {}
    return retention.get("disposition") == "permanent"
