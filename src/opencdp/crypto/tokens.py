"""Sealed values: one personal value encrypted under its person's data key, as plain text.

A token is `enc1:<subject>.<tag>.<sealed>`: the subject names the data key (so a token copied
by SQL into the golden record or a computed trait can still be opened), the optional tag is
a 64-bit keyed hash of the normalised value (equality in segments, quality and fingerprints
without decrypting), and `sealed` is URL-safe base64 of nonce ‖ AES-256-GCM ciphertext ‖ tag.
The associated data binds the token to its subject and field, so a token moved into another
person's record or another field does not open. After the subject's key is destroyed,
`open` answers `SHREDDED` instead of raising: old copies read as erased.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag

from opencdp.crypto.keys import derive_key
from opencdp.crypto.keystore import SubjectKeys

PREFIX = "enc1:"
SHREDDED = "[erased]"
_NONCE_BYTES = 12
_TAG_BYTES = 8


class CorruptToken(ValueError):
    """A value that claims to be a token but is malformed or fails authentication."""


class Sealer:
    """Seals and opens personal values with per-subject keys."""

    def __init__(self, keys: SubjectKeys, master: bytes) -> None:
        self.keys = keys
        self._tag_key = derive_key(master, "tags")

    def seal(
        self, subject: str, field: str, value: str, tag_kind: str | None = None, tag: str = ""
    ) -> str:
        """A token for `value`; `tag_kind` (e.g. "email") adds an equality tag of `value`,
        `tag` one the caller computed (of a normalised form of the value)."""
        if "." in subject or ":" in subject:
            raise ValueError("a subject is a pseudonym: no '.' or ':'")
        cipher = self.keys.reserve(subject)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = cipher.encrypt(nonce, value.encode(), _aad(subject, field))
        if tag_kind:
            tag = self.tag(tag_kind, value)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{subject}.{tag}.{body}"

    def tag(self, kind: str, value: str) -> str:
        """The equality tag of a normalised value of one kind (64 bits, keyed BLAKE2b: a
        MAC like HMAC-SHA256, at a third of its cost on the collection path)."""
        digest = hashlib.blake2b(
            f"{kind}:{value}".encode(), key=self._tag_key, digest_size=_TAG_BYTES
        ).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def open(self, field: str, text: str) -> str:
        """The plaintext of a token; text that is not a token passes through unchanged."""
        if not is_token(text):
            return text
        subject, _, body = _parts(text)
        cipher = self.keys.existing(subject)
        if cipher is None:
            return SHREDDED
        blob = base64.urlsafe_b64decode(body)
        try:
            plain = cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(subject, field))
        except InvalidTag as exc:
            raise CorruptToken(f"{field}: token fails authentication") from exc
        return plain.decode()

    def open_column(self, field: str, texts: Sequence[str | None]) -> list[str | None]:
        """Open a whole column, loading its subjects' keys in a few queries."""
        self.keys.load_many(subject_of(t) for t in texts if t is not None and is_token(t))
        return [None if t is None else self.open(field, t) for t in texts]


def is_token(text: str) -> bool:
    return text.startswith(PREFIX)


def subject_of(token: str) -> str:
    return _parts(token)[0]


def tag_of(token: str) -> str:
    return _parts(token)[1]


def _parts(token: str) -> tuple[str, str, str]:
    pieces = token[len(PREFIX) :].split(".")
    if len(pieces) != 3:
        raise CorruptToken("malformed token")
    return pieces[0], pieces[1], pieces[2]


def _aad(subject: str, field: str) -> bytes:
    return subject.encode() + b"\x00" + field.encode()
