"""The hash chain: a canonical encoding of an entry's fields and its keyed hash.

Each entry's hash is HMAC-SHA256 over the canonical encoding of all its stored fields,
including its sequence number and the previous entry's hash, under a key derived from the
master key (which never enters the database). Someone with write access to the database can
change rows but cannot compute the hash a changed, inserted or reordered row would need.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from opencdp.config import Settings
from opencdp.crypto import derive_key, load_master_key

GENESIS = "0" * 64  # the "previous hash" of the first entry
VERSION = "opencdp-audit/1"

# The stored columns in table order; all but the last are covered by `entry_hash`.
COLUMNS = (
    "seq", "occurred_at", "channel", "actor_kind", "actor_name", "actor_role", "token_id",
    "action", "target_kind", "target", "profile_keys", "profiles_sealed", "route",
    "client_ip", "user_agent", "reason", "status", "outcome", "details", "prev_hash",
    "entry_hash",
)  # fmt: skip
HASHED = COLUMNS[:-1]
SEALED_TEXT = "sealed:"  # prefix of a sealed free-text field
_TEXT_AAD = (VERSION + "/text").encode()


@dataclass(frozen=True)
class AuditKeys:
    """The audit keys, derived from the master key: chain MACs, profile lookups, sealing."""

    chain: bytes
    lookup: bytes
    seal: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditKeys:
        return cls.from_master(load_master_key(settings))

    @classmethod
    def from_master(cls, master: bytes) -> AuditKeys:
        return cls(derive_key(master, "audit"), derive_key(master, "audit", b"lookup"),
                   derive_key(master, "audit", b"seal"))  # fmt: skip

    def profile_key(self, profile_id: str) -> str:
        """A profile id as a keyed hash (128 bits): found by id, unreadable without the key."""
        return _mac(self.lookup, profile_id.encode())[:32]

    def identifier_hash(self, identifier: str) -> str:
        """An identifier or search text someone looked up, as a keyed hash."""
        return _mac(self.lookup, b"identifier\x00" + identifier.strip().encode())[:32]

    def name_hash(self, name: str) -> str:
        """A name someone tried to log in as, as a keyed hash: people type passwords into
        the name field, so an unverified name is never kept as typed."""
        return _mac(self.lookup, b"login-name\x00" + name.strip().encode())[:32]

    def seal_text(self, text: str | None) -> str | None:
        """Free text (a reason) encrypted with AES-GCM: readable in reports, not in the
        database file or a backup (operators write "DSR for jane@x.com")."""
        if not text:
            return text
        nonce = os.urandom(12)
        sealed = _cipher(self.seal).encrypt(nonce, text.encode(), _TEXT_AAD)
        return SEALED_TEXT + base64.b64encode(nonce + sealed).decode()

    def open_text(self, stored: str | None) -> str | None:
        """The text `seal_text` sealed; text stored before sealing is returned as it is."""
        if not stored or not stored.startswith(SEALED_TEXT):
            return stored
        raw = base64.b64decode(stored.removeprefix(SEALED_TEXT))
        return _cipher(self.seal).decrypt(raw[:12], raw[12:], _TEXT_AAD).decode()

    def seal_ids(self, ids: Sequence[str]) -> str | None:
        if not ids:
            return None
        nonce = os.urandom(12)
        sealed = _cipher(self.seal).encrypt(nonce, json.dumps(list(ids)).encode(), VERSION.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open_ids(self, sealed: str | None) -> list[str]:
        if not sealed:
            return []
        raw = base64.b64decode(sealed)
        ids = json.loads(_cipher(self.seal).decrypt(raw[:12], raw[12:], VERSION.encode()))
        return [str(i) for i in ids]


def canonical(values: Sequence[Any]) -> bytes:
    """The bytes an entry's hash covers: its hashed fields, in column order, as compact JSON.

    Times are UTC ISO strings with microseconds, so a row read back from the database
    encodes exactly as it did when it was written.
    """
    return json.dumps([VERSION, *(_plain(v) for v in values)], ensure_ascii=False,
                      separators=(",", ":")).encode()  # fmt: skip


def entry_hash(key: bytes, values: Sequence[Any]) -> str:
    """The keyed hash of an entry, from its hashed fields (`HASHED`, in that order)."""
    return _mac(key, canonical(values))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@lru_cache(maxsize=4)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()
