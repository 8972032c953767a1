"""The keyring: data keys created, wrapped, found and forgotten; values sealed and opened.

A sealed value is the string `ct1:<key id>:<base64url(nonce | ciphertext | tag)>` of the
orjson bytes of the original value, with the aggregate id as associated data. It stays a JSON
string, so stored events, Kafka envelopes and read-model documents keep their shapes; the hash
chain covers these bytes, so audit verifies with or without keys.

Keys are cached per process for `CACHE_SECONDS`: an erasure reaches every other process within
that time (the erasing process drops its cache at once).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orjson
from cachetools import TTLCache

from domain.privacy.ciphers import Aead, OpenFailed, cipher
from domain.privacy.master import MasterKeys
from domain.privacy.refs import BlindIndex
from domain.store.data_keys import DataKeyRow, DataKeyStoreMixin

PREFIX = "ct1:"
ERASED = "[erased]"
OTHER_PERSON = "[another person]"
CACHE_SECONDS = 5.0
_MISSING = object()


def is_sealed(value: Any) -> bool:
    return type(value) is str and value.startswith(PREFIX)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: Aead
    secret: bytes
    restricted: bool = False
    ready: Any = None  # the cipher object, built once per key

    @classmethod
    def of(cls, key_id: str, aead: Aead, secret: bytes, restricted: bool = False) -> _Key:
        return cls(key_id, aead, secret, restricted, aead.prepared(secret))


class Keyring:
    def __init__(
        self,
        store: DataKeyStoreMixin,
        master: MasterKeys,
        *,
        cipher_name: str = "aes-gcm",
        blind_index: BlindIndex,
    ) -> None:
        self.store = store
        self.master = master
        self.aead = cipher(cipher_name)
        self.blind = blind_index
        self._lock = threading.Lock()
        self._by_id: TTLCache[str, _Key | None] = TTLCache(maxsize=100_000, ttl=CACHE_SECONDS)
        self._for: TTLCache[tuple[str, UUID, str], _Key] = TTLCache(
            maxsize=100_000, ttl=CACHE_SECONDS
        )

    # ------------------------------------------------------------------ refs

    def party_ref(self, party_id: str) -> str:
        return self.blind.party_ref(party_id)

    def name_ref(self, name: str) -> str:
        return self.blind.name_ref(name)

    # ------------------------------------------------------------------ keys

    def _unwrap(self, row: DataKeyRow) -> _Key:
        secret = self.master.unwrap(row.master_id, row.wrapped, row.key_id.encode())
        return _Key.of(row.key_id, cipher(row.cipher), secret, row.restricted)

    def session(self, cursor: Any) -> SealSession:
        """Sealing inside one write transaction: new keys are inserted on its cursor and
        cached only once `committed()` is called."""
        return SealSession(self, cursor)

    def key_by_id(self, key_id: str) -> _Key | None:
        with self._lock:
            cached = self._by_id.get(key_id, _MISSING)  # one lookup: an entry may expire
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        row = self.store.get_data_key(key_id)
        key = self._unwrap(row) if row is not None else None
        with self._lock:
            self._by_id[key_id] = key
        return key

    def forget_cached(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._for.clear()

    # ------------------------------------------------------------------ values

    def seal_with(self, key: _Key, value: Any, aggregate_id: UUID) -> str:
        body = key.aead.seal(key.secret, orjson.dumps(value), str(aggregate_id).encode(), key.ready)
        return f"{PREFIX}{key.key_id}:{_b64(body)}"

    def open(self, value: Any, aggregate_id: UUID | str, *, archive: bool = False) -> Any:
        """The plaintext of a sealed value, `ERASED` when its key is gone (or restricted,
        unless `archive`); any other value unchanged."""
        if not is_sealed(value):
            return value
        try:
            _, key_id, body = value.split(":", 2)
        except ValueError:
            return ERASED
        key = self.key_by_id(key_id)
        if key is None or (key.restricted and not archive):
            return ERASED
        try:
            plain = key.aead.open(key.secret, _unb64(body), str(aggregate_id).encode(), key.ready)
        except (OpenFailed, ValueError):
            return ERASED
        return orjson.loads(plain)

    def open_tree(
        self,
        value: Any,
        aggregate_id: UUID | str,
        *,
        archive: bool = False,
        only_keys: frozenset[str] | None = None,
    ) -> Any:
        """Every sealed string inside dicts and lists opened; with `only_keys`, values sealed
        under other keys (other people's) become `OTHER_PERSON` instead."""
        kind = type(value)
        if kind is str:
            if not is_sealed(value):
                return value
            if only_keys is not None and value.split(":", 2)[1] not in only_keys:
                return OTHER_PERSON
            return self.open(value, aggregate_id, archive=archive)
        if kind is dict:
            return {
                k: self.open_tree(v, aggregate_id, archive=archive, only_keys=only_keys)
                for k, v in value.items()
            }
        if kind is list:
            return [
                self.open_tree(v, aggregate_id, archive=archive, only_keys=only_keys) for v in value
            ]
        return value

    # ------------------------------------------------------------------ rotation

    def rewrap_all(self) -> int:
        """Re-wrap every data key under the active master key (after a rotation)."""
        count = 0
        for row in self.store.all_data_keys():
            if row.master_id == self.master.active_id:
                continue
            secret = self.master.unwrap(row.master_id, row.wrapped, row.key_id.encode())
            master_id, wrapped = self.master.wrap(secret, row.key_id.encode())
            self.store.rewrap_data_key(row.key_id, master_id, wrapped)
            count += 1
        return count


class SealSession:
    def __init__(self, keyring: Keyring, cursor: Any) -> None:
        self.keyring = keyring
        self.cursor = cursor
        self._new: dict[tuple[str, UUID, str], _Key] = {}
        self._refs: dict[str, str] = {}
        self.created: set[UUID] = set()  # aggregates created in this commit: no key yet

    def party_ref(self, party_id: str) -> str:
        """The party's blind ref, computed once per transaction (an event names its party
        several times: the party, its name's owner, the citizen actor)."""
        ref = self._refs.get(party_id)
        if ref is None:
            ref = self._refs[party_id] = self.keyring.blind.party_ref(party_id)
        return ref

    def key(self, subject_ref: str, aggregate_id: UUID, purpose: str = "data") -> _Key:
        wanted = (subject_ref, aggregate_id, purpose)
        new = self._new.get(wanted)
        if new is not None:
            return new
        ring = self.keyring
        with ring._lock:
            cached = ring._for.get(wanted)
        if cached is not None:
            return cached
        row = (
            None
            if aggregate_id in self.created
            else ring.store.find_data_key(self.cursor, subject_ref, aggregate_id, purpose)
        )
        if row is not None:
            key = ring._unwrap(row)
            with ring._lock:
                ring._for[wanted] = key
            return key
        key_id = uuid4().hex
        secret = ring.aead.new_key()
        master_id, wrapped = ring.master.wrap(secret, key_id.encode())
        ring.store.insert_data_key(
            self.cursor,
            DataKeyRow(
                key_id, subject_ref, aggregate_id, purpose, ring.aead.name, master_id, wrapped
            ),
        )
        key = _Key.of(key_id, ring.aead, secret)
        self._new[wanted] = key
        return key

    def seal(self, value: Any, subject_ref: str, aggregate_id: UUID, purpose: str = "data") -> str:
        return self.keyring.seal_with(
            self.key(subject_ref, aggregate_id, purpose), value, aggregate_id
        )

    def committed(self) -> None:
        with self.keyring._lock:
            for wanted, key in self._new.items():
                self.keyring._for[wanted] = key
                self.keyring._by_id[key.key_id] = key
        self._new.clear()
