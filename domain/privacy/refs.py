"""Blind indexes: a keyed HMAC of a normalised value, for exact search and scoping.

A read model holds `br1:<32 hex>` where it would have held a name or an identity number:
equal values give equal refs, so a term query finds them, and nobody without the key can
compute a ref from a guess (an identity number has little entropy: an unkeyed hash would be
reversed by enumeration). The key (`CASETRACK_BLIND_INDEX_KEY`) is not the master key and is
never rotated casually: a new key means recomputing every ref (a rebuild from the event store).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

PREFIX = "br1:"
DEV_BLIND_INDEX_KEY = "casetrack-development-blind-index-key"
_SPACE = re.compile(r"\s+")


def normalise_party_id(value: str) -> str:
    return value.strip().upper()


def normalise_name(value: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).casefold()


class BlindIndex:
    def __init__(self, key: str | bytes) -> None:
        self._key = key.encode() if isinstance(key, str) else key

    def ref(self, kind: str, normalised: str) -> str:
        mac = hmac.new(self._key, f"{kind}:{normalised}".encode(), hashlib.sha256)
        return PREFIX + mac.hexdigest()[:32]

    def party_ref(self, party_id: str) -> str:
        return self.ref("party", normalise_party_id(party_id))

    def name_ref(self, name: str) -> str:
        return self.ref("name", normalise_name(name))

    def sub_ref(self, sub: str) -> str:
        return self.ref("sub", sub)
