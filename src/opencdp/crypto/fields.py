"""Encrypting one personal value for one person: AES-256-GCM under the person's data key.

A ciphertext is text, so it fits any VARCHAR or JSON column: `enc1:` + URL-safe base64 of
nonce ‖ ciphertext ‖ tag. The associated data binds it to its subject and field, so a value
copied into another person's record or another field does not decrypt. Once the subject's
key is destroyed, `decrypt` answers `SHREDDED` instead of raising: old copies read as erased.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from opencdp.crypto.keystore import SubjectKeys

PREFIX = "enc1:"
SHREDDED = "[erased]"
_NONCE_BYTES = 12


class CorruptCiphertext(ValueError):
    """A value that claims to be a ciphertext but fails authentication."""


class FieldCipher:
    """Encrypts and decrypts personal values with per-subject keys."""

    def __init__(self, keys: SubjectKeys) -> None:
        self._keys = keys

    def encrypt(self, subject: str, field: str, value: str) -> str:
        key = self._keys.key_for(subject)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(subject, field))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, subject: str, field: str, text: str) -> str:
        """The plaintext; values that are not ciphertexts pass through unchanged."""
        if not is_encrypted(text):
            return text
        key = self._keys.existing_key(subject)
        if key is None:
            return SHREDDED
        blob = base64.urlsafe_b64decode(text[len(PREFIX):])
        try:
            plain = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:],
                                        _aad(subject, field))  # fmt: skip
        except InvalidTag as exc:
            raise CorruptCiphertext(f"{field}: ciphertext fails authentication") from exc
        return plain.decode()


def is_encrypted(text: str) -> bool:
    return text.startswith(PREFIX)


def _aad(subject: str, field: str) -> bytes:
    return subject.encode() + b"\x00" + field.encode()
