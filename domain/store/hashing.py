"""Tamper evidence: the hash chain over stored events and the signed checkpoints.

Every stored event carries ``hash = H(frame(DOMAIN, prev_hash, originator_id, version,
topic, state))`` where ``frame`` length-prefixes each part (8-byte big-endian length,
then the bytes), ``prev_hash`` is the ``hash`` of the previous event of the same
aggregate ("" for the first), ``originator_id`` is the canonical hyphenated UUID text and
``state`` the stored bytes. The decoded event is never hashed: upcasters change it.

Hashes are written ``"<algorithm>:<hex>"`` so a row tells which algorithm made it and the
algorithm can change without breaking verification of older rows.

A checkpoint signs (scheme, position, number of streams, number of events, a digest of
every stream head ``(id, version, hash)``, created_at) with HMAC-SHA256 and a key kept
outside the database, so a deleted stream or a cut-off tail is found even though the chain
of what is left is intact. The digest depends on the scheme:

- ``buckets16-v2`` (current): a fixed tree of 65536 buckets under 4096 nodes. A stream's
  bucket is the first 16 bits of its id and its node the first 12; a bucket's hash frames
  its heads, each one part ``id,version,hash`` (canonical id, decimal, tagged hex: no
  commas inside, so the text is unambiguous), in id order; a node's hash frames
  ``bucket,streams,events,bucket hash`` of its non-empty buckets, the root the same of the
  non-empty nodes. A checkpoint recomputes only the buckets (and nodes) of the streams written
  since the previous one.
- ``heads-v1`` (checkpoints signed before): one hash framing every head in id order, with
  the v1 message (no scheme in it). They still verify.

Every digest frames its parts (length-prefixed) under a domain of its own and is a
collision-resistant hash of an ordered sequence, never a sum or XOR of per-stream hashes
(a forger who picks event contents would solve for such a sum: Wagner's k-list attack).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Protocol
from uuid import UUID

EVENT_DOMAIN = b"casetrack.event.v1"
HEADS_DOMAIN = b"casetrack.heads.v1"
CHECKPOINT_DOMAIN = b"casetrack.checkpoint.v1"
BUCKET_DOMAIN = b"casetrack.bucket.v2"
NODE_DOMAIN = b"casetrack.node.v2"
ROOT_DOMAIN = b"casetrack.buckets.v2"
CHECKPOINT_V2_DOMAIN = b"casetrack.checkpoint.v2"

SCHEME_HEADS = "heads-v1"
SCHEME_BUCKETS = "buckets16-v2"
SCHEMES = (SCHEME_HEADS, SCHEME_BUCKETS)
BUCKET_BITS = 16
NODE_SHIFT = 4

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


def _framed(parts: Iterable[bytes]) -> bytes:
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def bucket_of(originator_id: UUID) -> int:
    """A stream's bucket: the first `BUCKET_BITS` bits of its id (random in uuid4 and
    uuid5 ids), so a bucket is a range of the events table's primary key."""
    return originator_id.int >> (128 - BUCKET_BITS)


def node_of(bucket: int) -> int:
    """The node of the tree's middle level that holds `bucket` (16 buckets a node)."""
    return bucket >> NODE_SHIFT


def bucket_bounds(first: int, last: int) -> tuple[UUID, UUID]:
    """The smallest and largest id of buckets `first` to `last`."""
    shift = 128 - BUCKET_BITS
    return UUID(int=first << shift), UUID(int=((last + 1) << shift) - 1)


def prefix_of(number: int, *, node: bool = False) -> str:
    """How the ids of a bucket (4 hex digits) or of a node (3) begin."""
    bits = BUCKET_BITS - (NODE_SHIFT if node else 0)
    return f"{number:0{bits // 4}x}"


@dataclass(frozen=True)
class Subtree:
    """A bucket (its streams' heads) or a node (its buckets): number, size and hash."""

    number: int
    streams: int
    events: int
    hash: str


def _subtree(
    algorithm: HashAlgorithm, number: int, parts: list[bytes], streams: int, events: int
) -> Subtree:
    digest = algorithm.new()
    digest.update(_framed(parts))
    return Subtree(number, streams, events, algorithm.tagged(digest))


def buckets_of(
    algorithm: HashAlgorithm, heads: Iterable[tuple[UUID, int, str]]
) -> Iterator[Subtree]:
    """The hash of every non-empty bucket, from stream heads given in id order."""
    number, parts, streams, events = -1, [], 0, 0
    for originator_id, version, head_hash in heads:
        if bucket_of(originator_id) != number:
            if streams:
                yield _subtree(algorithm, number, parts, streams, events)
            number, streams, events = bucket_of(originator_id), 0, 0
            parts = [BUCKET_DOMAIN, str(number).encode()]
        parts.append(f"{originator_id},{version},{head_hash}".encode())
        streams += 1
        events += version
    if streams:
        yield _subtree(algorithm, number, parts, streams, events)


def _framed_subtrees(
    domain: bytes, number: int, children: Iterable[Subtree]
) -> tuple[list[bytes], int, int]:
    parts, streams, events = [domain, str(number).encode()], 0, 0
    for child in children:
        parts.append(f"{child.number},{child.streams},{child.events},{child.hash}".encode())
        streams += child.streams
        events += child.events
    return parts, streams, events


def nodes_of(algorithm: HashAlgorithm, buckets: Iterable[Subtree]) -> Iterator[Subtree]:
    """The hash of every non-empty node, from its non-empty buckets in bucket order."""
    for number, group in groupby(buckets, key=lambda bucket: node_of(bucket.number)):
        parts, streams, events = _framed_subtrees(NODE_DOMAIN, number, group)
        yield _subtree(algorithm, number, parts, streams, events)


def root_hash(algorithm: HashAlgorithm, nodes: Iterable[Subtree]) -> str:
    """The root over the non-empty nodes given in order."""
    parts, _, _ = _framed_subtrees(ROOT_DOMAIN, BUCKET_BITS, nodes)
    digest = algorithm.new()
    digest.update(_framed(parts))
    return algorithm.tagged(digest)


def checkpoint_message(
    *,
    position: int,
    streams: int,
    events: int,
    heads: str,
    created_at: str,
    scheme: str = SCHEME_HEADS,
) -> bytes:
    """What is signed; `heads` is the digest of the scheme (the root for buckets16-v2)."""
    fields = [str(position), str(streams), str(events), heads, created_at]
    digest = hashlib.sha256()
    if scheme == SCHEME_HEADS:
        _frame(digest, CHECKPOINT_DOMAIN, *(f.encode() for f in fields))
    elif scheme in SCHEMES:
        _frame(digest, CHECKPOINT_V2_DOMAIN, scheme.encode(), *(f.encode() for f in fields))
    else:
        msg = f"Unknown checkpoint scheme {scheme!r}"
        raise ValueError(msg)
    return digest.digest()


def sign(key: str | bytes, message: bytes) -> str:
    key_bytes = key.encode() if isinstance(key, str) else key
    return "hmac-sha256:" + hmac.new(key_bytes, message, hashlib.sha256).hexdigest()


def signature_valid(key: str | bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)
