"""Encryption of personal data at rest, and keyed hashes for searching it.

A stored value looks like ``a1$<kid>$<base64(nonce | ciphertext | tag)>``:
``a1`` is AES-256-GCM, ``s1`` SM4-GCM (国密). The key id lets several keys live side by side:
the first key in ``YEMAI_ENCRYPTION_KEYS`` encrypts, every listed key decrypts, so a key is
rotated by putting a new one first and running ``yemai keys rotate`` while the site runs.

The column and model name are bound into each ciphertext as associated data, so a value
copied from one column into another no longer decrypts.

The keyed hashes that make a value searchable rotate the same way: the first of
``YEMAI_LOOKUP_KEYS`` writes, a search looks for the hash under every listed key, and
``yemai keys rotate-lookup`` (core.security.lookups) moves every stored hash onto the first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHMS = {"aes-gcm": "a1", "sm4-gcm": "s1"}
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value cannot be decrypted: unknown key id, wrong key or tampered data."""


@dataclass(frozen=True)
class Key:
    kid: str
    material: bytes

    @property
    def aes(self) -> bytes:
        return _derive(self.material, b"yemai/aes-256-gcm", 32)

    @property
    def sm4(self) -> bytes:
        return _derive(self.material, b"yemai/sm4-gcm", 16)


@cache
def _derive(material: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(material)


def parse_keys(spec: str) -> list[Key]:
    """Parse ``kid:base64key,kid:base64key``; each key must be at least 32 bytes."""
    keys: list[Key] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep or not kid.isalnum():
            raise ImproperlyConfigured(
                "YEMAI_ENCRYPTION_KEYS must look like 'kid:base64key[,kid:base64key]' "
                "with an alphanumeric key id"
            )
        try:
            material = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ImproperlyConfigured(
                f"key {kid!r} in YEMAI_ENCRYPTION_KEYS is not base64"
            ) from None
        if len(material) < 32:
            raise ImproperlyConfigured(
                f"key {kid!r} in YEMAI_ENCRYPTION_KEYS is shorter than 32 bytes"
            )
        if any(k.kid == kid for k in keys):
            raise ImproperlyConfigured(f"key id {kid!r} appears twice in YEMAI_ENCRYPTION_KEYS")
        keys.append(Key(kid, material))
    if not keys:
        raise ImproperlyConfigured("YEMAI_ENCRYPTION_KEYS holds no key")
    return keys


@cache
def _keyring(spec: str) -> tuple[Key, dict[str, Key]]:
    keys = parse_keys(spec)
    return keys[0], {k.kid: k for k in keys}


def keyring() -> tuple[Key, dict[str, Key]]:
    return _keyring(settings.ENCRYPTION_KEYS)


def current_kid() -> str:
    return keyring()[0].kid


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _sm4_gcm_encrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    ciphertext, tag = data[:-TAG_BYTES], data[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(ciphertext) + decryptor.finalize()


def encrypt(plaintext: str, *, context: str, algorithm: str | None = None) -> str:
    """Encrypt ``plaintext`` with the current key; ``context`` names the column (AAD)."""
    key, _ = keyring()
    algorithm = algorithm or settings.CIPHER
    tag = ALGORITHMS[algorithm]
    nonce = os.urandom(NONCE_BYTES)
    aad = context.encode()
    data = plaintext.encode()
    if tag == "a1":
        sealed = AESGCM(key.aes).encrypt(nonce, data, aad)
    else:
        sealed = _sm4_gcm_encrypt(key.sm4, nonce, data, aad)
    return f"{tag}${key.kid}${base64.b64encode(nonce + sealed).decode()}"


def is_encrypted(value: str) -> bool:
    return value[:3] in {"a1$", "s1$"}


def token_kid(value: str) -> str | None:
    return value.split("$", 2)[1] if is_encrypted(value) else None


def decrypt(token: str, *, context: str) -> str:
    try:
        tag, kid, payload = token.split("$", 2)
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, binascii.Error):
        raise DecryptionError("value is not an encrypted token") from None
    _, keys = keyring()
    key = keys.get(kid)
    if key is None:
        raise DecryptionError(f"no key with id {kid!r} in YEMAI_ENCRYPTION_KEYS")
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        if tag == "a1":
            data = AESGCM(key.aes).decrypt(nonce, sealed, context.encode())
        elif tag == "s1":
            data = _sm4_gcm_decrypt(key.sm4, nonce, sealed, context.encode())
        else:
            raise DecryptionError(f"unknown cipher tag {tag!r}")
    except InvalidTag:
        raise DecryptionError("value was tampered with or belongs to another column") from None
    return data.decode()


def lookup_keys() -> list[str]:
    """``settings.LOOKUP_KEYS``: the first one writes, every one is searched (rotation)."""
    return list(settings.LOOKUP_KEYS)


def lookup_hash_with(key: str, value: str, purpose: str) -> str:
    """The hash under one given key (rotation checks which key a stored hash is under)."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def lookup_hash(value: str, *, purpose: str) -> str:
    """Keyed hash for equality search over an encrypted column (HMAC-SHA256, hex), under the
    first lookup key: the one every write uses."""
    if not value:
        return ""
    return lookup_hash_with(lookup_keys()[0], value, purpose)


def lookup_hashes(value: str, *, purpose: str) -> list[str]:
    """The hashes of ``value`` under every lookup key, the first key's first: search with
    ``column__in=…`` so that rows not yet rotated onto the new key are found too."""
    if not value:
        return []
    return list(dict.fromkeys(lookup_hash_with(k, value, purpose) for k in lookup_keys()))
