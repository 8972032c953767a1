"""Tamper evidence: the hash chain over stored events and the signed checkpoints.

Every stored event carries ``hash = H(frame(DOMAIN, prev_hash, originator_id, version,
topic, state))`` where ``frame`` length-prefixes each part (8-byte big-endian length,
then the bytes), ``prev_hash`` is the ``hash`` of the previous event of the same
aggregate ("" for the first), ``originator_id`` is the canonical hyphenated UUID text and
``state`` the stored bytes. The decoded event is never hashed: upcasters change it.

Hashes are written ``"<algorithm>:<hex>"`` so a row tells which algorithm made it and the
algorithm can change without breaking verification of older rows.

A checkpoint signs (position, number of streams, number of events, hash over every
stream head ``(id, version, hash)`` in id order) with HMAC-SHA256 and a key kept outside
the database, so a deleted stream or a cut-off tail is found even though the chain of
what is left is intact.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

EVENT_DOMAIN = b"casetrack.event.v1"
HEADS_DOMAIN = b"casetrack.heads.v1"
CHECKPOINT_DOMAIN = b"casetrack.checkpoint.v1"

# Documented development default; production passes CASETRACK_CHECKPOINT_KEY.
DEV_CHECKPOINT_KEY = "casetrack-dev-checkpoint-key"


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class _GmsslSM3:
    """SM3 from ``gmssl`` (pure Python), used when OpenSSL does not offer SM3."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def update(self, data: bytes, /) -> None:
        self._buffer += data

    def hexdigest(self) -> str:
        from gmssl import func, sm3

        return sm3.sm3_hash(func.bytes_to_list(bytes(self._buffer)))


def _openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


class HashAlgorithm:
    """A named digest: ``sha256`` (default) or ``sm3`` (GB/T 32905, via gmssl)."""

    names = ("sha256", "sm3")

    def __init__(self, name: str = "sha256", *, prefer_openssl: bool = True) -> None:
        name = name.strip().lower()
        if name not in self.names:
            msg = f"Unknown hash algorithm {name!r}; expected one of {self.names}"
            raise ValueError(msg)
        self.name = name
        self._openssl = name == "sha256" or (prefer_openssl and _openssl_has_sm3())

    def new(self) -> _Digest:
        if self._openssl:
            return hashlib.new(self.name)
        return _GmsslSM3()

    def tagged(self, digest: _Digest) -> str:
        return f"{self.name}:{digest.hexdigest()}"

    def __repr__(self) -> str:
        return f"HashAlgorithm({self.name!r})"


def algorithm_of(tagged_hash: str) -> HashAlgorithm:
    name, sep, _ = tagged_hash.partition(":")
    if not sep:
        msg = f"Hash without algorithm prefix: {tagged_hash!r}"
        raise ValueError(msg)
    return HashAlgorithm(name)


def _frame(digest: _Digest, *parts: bytes) -> None:
    # One update of the concatenation: the same digest as one update per length and part.
    framed: list[bytes] = []
    for part in parts:
        framed += (len(part).to_bytes(8, "big"), part)
    digest.update(b"".join(framed))


def canonical_id(originator_id: UUID | str) -> str:
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


def event_hash(
    algorithm: HashAlgorithm,
    *,
    prev_hash: str | None,
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> str:
    digest = algorithm.new()
    _frame(
        digest,
        EVENT_DOMAIN,
        (prev_hash or "").encode(),
        canonical_id(originator_id).encode(),
        str(originator_version).encode(),
        topic.encode(),
        bytes(state),
    )
    return algorithm.tagged(digest)


def heads_hash(
    algorithm: HashAlgorithm, heads: Iterable[tuple[UUID | str, int, str]]
) -> tuple[str, int]:
    """Hash over stream heads given in id order; returns (hash, number of heads)."""
    digest = algorithm.new()
    _frame(digest, HEADS_DOMAIN)
    count = 0
    for originator_id, version, head_hash in heads:
        _frame(
            digest,
            canonical_id(originator_id).encode(),
            str(version).encode(),
            head_hash.encode(),
        )
        count += 1
    return algorithm.tagged(digest), count


def checkpoint_message(
    *, position: int, streams: int, events: int, heads: str, created_at: str
) -> bytes:
    digest = hashlib.sha256()
    _frame(
        digest,
        CHECKPOINT_DOMAIN,
        str(position).encode(),
        str(streams).encode(),
        str(events).encode(),
        heads.encode(),
        created_at.encode(),
    )
    return digest.digest()


def sign(key: str | bytes, message: bytes) -> str:
    key_bytes = key.encode() if isinstance(key, str) else key
    return "hmac-sha256:" + hmac.new(key_bytes, message, hashlib.sha256).hexdigest()


def signature_valid(key: str | bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)
