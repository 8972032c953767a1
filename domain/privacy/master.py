"""The master keys that wrap data keys: the one small interface a KMS sits behind.

Data keys (one per subject and aggregate) are stored wrapped; only a `MasterKeys` can unwrap
them. `LocalMasterKeys` holds key-encryption keys given in the environment
(`CASETRACK_MASTER_KEYS`: `id:base64[,id:base64...]`, the first one wraps new keys, every one
listed unwraps). Rotation without downtime: put the new key first and keep the old one listed,
restart, run `python manage.py rewrap_keys` (every data key re-wrapped under the new key), then
drop the old key. A KMS adapter (a provincial HSM, Alibaba Cloud KMS) implements the same two
methods and the key never leaves it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Protocol

from domain.privacy.ciphers import OpenFailed, cipher

# Published, like the development checkpoint key: refused in production (api/config.py).
DEV_MASTER_KEYS = "dev1:" + base64.b64encode(b"casetrack-development-master-key").decode()
_WRAP = cipher("aes-gcm")


class MasterKeys(Protocol):
    @property
    def active_id(self) -> str: ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        """(id of the master key used, wrapped bytes)."""
        ...

    def unwrap(self, master_id: str, wrapped: bytes, aad: bytes) -> bytes: ...


class LocalMasterKeys:
    def __init__(self, keys: dict[str, bytes], active_id: str) -> None:
        if active_id not in keys:
            raise ValueError(f"no master key {active_id!r}")
        self._keys = keys
        self._active = active_id

    @classmethod
    def parse(cls, setting: str, *, name: str = "CASETRACK_MASTER_KEYS") -> LocalMasterKeys:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in filter(None, (p.strip() for p in setting.split(","))):
            key_id, sep, encoded = part.partition(":")
            try:
                key = base64.b64decode(encoded, validate=True) if sep else b""
            except binascii.Error:
                key = b""
            if not key_id or len(key) != 32 or key_id in keys:
                msg = f"{name}: each entry is id:<base64 of 32 bytes>, ids distinct"
                raise ValueError(msg)
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise ValueError(f"{name} is empty")
        return cls(keys, order[0])

    @property
    def active_id(self) -> str:
        return self._active

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        return self._active, _WRAP.seal(self._keys[self._active], data_key, aad)

    def unwrap(self, master_id: str, wrapped: bytes, aad: bytes) -> bytes:
        key = self._keys.get(master_id)
        if key is None:
            raise OpenFailed(f"master key {master_id!r} is not configured")
        return _WRAP.open(key, wrapped, aad)
