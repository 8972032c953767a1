"""Personal data in read models: sealed strings and blind refs, never plaintext.

The write side seals every personal value before an event is stored (docs/design.md,
"Personal data"): a person's id, every party's name, free text of the applicant. Envelopes
carry those sealed strings, and a reserved `_refs_` dict of blind refs (keyed HMACs of the
normalised values) by path: `{"applicant": <party ref>, "applicant.name": <name ref>}`.

Projections hold no keys. Every document copies the sealed strings for display (the API opens
them with the keyring when it answers) and the refs for scoping and exact search:
`party_ids` holds the party refs of the people a record concerns, `name_refs` their name refs.
Each party object keeps its own refs beside it (`party_ref`, `name_ref`). An event without refs
(stored before sealing) scopes to nobody: fail closed.

When a person's data is erased, each record that held it gets a `PersonalDataErased` event
(`{party_ref, restricted}`): `erase_party` writes `[erased]` over the values sealed under their
keys and drops their refs, so the document no longer links to them (their id and name find
nothing) and holds not even ciphertext of theirs. A rebuild from offset 0 ends in the same
document. A restricted record (kept under a `permanent` rule) is shown the same way: storage
only.

This module is the one place where projections read parties from envelopes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.privacy import ERASED, is_sealed

REFS = "_refs_"
REF_PREFIX = "br1:"
NAME_SUFFIX = ".name"


def refs_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The blind refs of an event (path -> ref); {} for an event stored before sealing."""
    return dict(data.get(REFS) or {})


def party(value: Mapping[str, Any], refs: Mapping[str, str], path: str) -> dict[str, Any]:
    """A party object (applicant, holder, the party of a violation) as documents keep it:
    its fields as stored (sealed where personal) and its two refs."""
    return {
        **value,
        "party_ref": refs.get(path),
        "name_ref": refs.get(path + NAME_SUFFIX),
    }


def scoping(*parties: Mapping[str, Any]) -> dict[str, list[str]]:
    """`party_ids` and `name_refs` of a document from its party objects (refs only)."""
    return {
        "party_ids": [p["party_ref"] for p in parties if p.get("party_ref")],
        "name_refs": [p["name_ref"] for p in parties if p.get("name_ref")],
    }


def payer(data: Mapping[str, Any]) -> dict[str, Any]:
    """A payment's payer as its document keeps it (flat fields, sealed where personal)."""
    refs = refs_of(data)
    fields = {
        "payer_party_id": data["payer_party_id"],
        "payer_name": data["payer_name"],
        "payer_party_ref": refs.get("payer"),
        "payer_name_ref": refs.get("payer" + NAME_SUFFIX),
    }
    return {
        **fields,
        **scoping({"party_ref": fields["payer_party_ref"], "name_ref": fields["payer_name_ref"]}),
    }


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIX)


def party_refs(refs: Mapping[str, str]) -> list[str]:
    """The party refs among an event's refs (the actor's included), without name refs."""
    return sorted({r for path, r in refs.items() if not path.endswith(NAME_SUFFIX) and r})


_PARTY_OBJECTS = ("applicant", "holder", "party")
_PAYER = ("payer_party_id", "payer_name", "payer_party_ref", "payer_name_ref")
_PARTY = ("party_id", "name", "party_ref", "name_ref")


def erase_party(document: dict[str, Any], party_ref: str) -> dict[str, Any]:
    """The document once the data of the party with `party_ref` is erased (changed in place)."""
    names: set[str] = set()

    def scrub(holder: dict[str, Any], keys: tuple[str, str, str, str]) -> bool:
        id_key, name_key, ref_key, name_ref_key = keys
        if holder.get(ref_key) != party_ref:
            return False
        for key in (id_key, name_key):
            if is_sealed(holder.get(key)):
                holder[key] = ERASED
        names.add(holder.pop(name_ref_key, None) or "")
        holder.pop(ref_key, None)
        return True

    owner = scrub(document, _PAYER)
    for key in _PARTY_OBJECTS:
        if isinstance(document.get(key), dict):
            owner = scrub(document[key], _PARTY) or owner
    rating = document.get("rating")
    if owner and isinstance(rating, dict) and is_sealed(rating.get("comment")):
        rating["comment"] = ERASED  # sealed under the owner's key
    document["party_ids"] = [r for r in document.get("party_ids") or () if r != party_ref]
    document["name_refs"] = [r for r in document.get("name_refs") or () if r not in names]
    return document


def personal_data_erased(document: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    return erase_party(document, data["party_ref"])
