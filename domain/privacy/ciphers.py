"""Authenticated ciphers for personal data: AES-256-GCM (default) and SM4-GCM.

SM4 is China's commercial block cipher (GB/T 32907), as SM3 is its hash; GCM gives both the
same shape: a 12-byte random nonce, the ciphertext and a 16-byte tag, with the aggregate id as
associated data so a value cannot be moved to another aggregate's record. Both come from
`cryptography` (OpenSSL), the library PyJWT already uses: no cipher is written here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
TAG_BYTES = 16


class OpenFailed(Exception):
    """A value that does not open: wrong key, wrong associated data, or altered bytes."""


@dataclass(frozen=True)
class Aead:
    name: str
    key_bytes: int

    def new_key(self) -> bytes:
        return os.urandom(self.key_bytes)

    def seal(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        if self.name == "aes-gcm":
            return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return nonce + body + encryptor.tag

    def open(self, key: bytes, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise OpenFailed("too short")
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            if self.name == "aes-gcm":
                return AESGCM(key).decrypt(nonce, body, aad)
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-TAG_BYTES:])).decryptor()
            decryptor.authenticate_additional_data(aad)
            return decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()
        except (InvalidTag, ValueError) as e:
            raise OpenFailed(str(e) or type(e).__name__) from e


CIPHERS = {"aes-gcm": Aead("aes-gcm", 32), "sm4-gcm": Aead("sm4-gcm", 16)}


def cipher(name: str) -> Aead:
    try:
        return CIPHERS[name]
    except KeyError:
        msg = f"unknown cipher {name!r}: use one of {', '.join(CIPHERS)}"
        raise ValueError(msg) from None
