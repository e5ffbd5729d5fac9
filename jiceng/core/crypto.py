"""Encryption at rest for identity numbers.

AES-256-GCM with a random nonce for the stored value, and an HMAC-SHA256 digest (a different key
derived from the same secret) for uniqueness and exact lookup without decrypting. The stored form
carries a key version so the key can be rotated.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"


@functools.cache
def _keys(secret: str) -> tuple[AESGCM, bytes]:
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"jiceng-field-v1", info=b"fields").derive(
        secret.encode()
    )
    return AESGCM(material[:32]), material[32:]


def _current_keys() -> tuple[AESGCM, bytes]:
    return _keys(settings.FIELD_ENCRYPTION_KEY)


def encrypt(plaintext: str) -> str:
    return encrypt_many([plaintext])[0]


def encrypt_many(plaintexts: list[str]) -> list[str]:
    """``encrypt`` of each, the keys looked up and the nonces drawn once (an import's batch)."""
    aead, _ = _current_keys()
    seal, b64, aad = aead.encrypt, base64.urlsafe_b64encode, VERSION.encode()
    prefix = f"{VERSION}:"
    randomness = os.urandom(12 * len(plaintexts))
    out = []
    for i, plaintext in enumerate(plaintexts):
        nonce = randomness[12 * i : 12 * i + 12]
        out.append(prefix + b64(nonce + seal(nonce, plaintext.encode(), aad)).decode())
    return out


def decrypt(token: str) -> str:
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown field encryption version {version!r}")
    aead, _ = _current_keys()
    raw = base64.urlsafe_b64decode(body)
    return aead.decrypt(raw[:12], raw[12:], VERSION.encode()).decode()


@functools.cache
def _mac(mac_key: bytes) -> hmac.HMAC:
    return hmac.new(mac_key, digestmod=hashlib.sha256)


def digest(plaintext: str) -> str:
    """Keyed hash for uniqueness and lookup; without the key it cannot be brute-forced offline."""
    return digest_many([plaintext])[0]


def digest_many(plaintexts: list[str]) -> list[str]:
    """``digest`` of each, the key looked up once."""
    _, mac_key = _current_keys()
    # A copy of the keyed state skips hashing the padded key again: half the cost, a million times.
    keyed = _mac(mac_key)
    out = []
    for plaintext in plaintexts:
        mac = keyed.copy()
        mac.update(plaintext.encode())
        out.append(mac.hexdigest())
    return out
