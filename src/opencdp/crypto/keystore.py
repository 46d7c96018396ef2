"""Per-person data keys, kept apart from the database so that destroying one shreds its data.

Field encryption (`crypto/fields.py`) encrypts a person's personal values with a random
256-bit data key of their own. The data keys live in a small SQLite file beside the
database (`<data_dir>/keystore.sqlite`), each wrapped with AES-GCM under a key derived from
the master key, and never inside the DuckDB file or its backups. Erasure calls `destroy`:
the row is deleted with SQLite's `secure_delete` (the bytes are overwritten), after which
every copy of that person's ciphertext — in the live database or in any old backup — is
unreadable. The key store is small; back it up on its own, short-lived schedule.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from opencdp.crypto.keys import KEY_BYTES, derive_key

_NONCE_BYTES = 12


class SubjectKeys:
    """Data keys by subject id (a keyed hash naming one person), created on first use."""

    def __init__(self, path: Path, master: bytes, cache_size: int = 100_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._wrap = AESGCM(derive_key(master, "keystore"))
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS subject_keys ("
            " subject TEXT PRIMARY KEY, wrapped BLOB NOT NULL,"
            " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )

    def key_for(self, subject: str) -> bytes:
        """The subject's data key, created (and stored wrapped) when it has none yet."""
        with self._lock:
            cached = self._cache.get(subject)
            if cached is not None:
                self._cache.move_to_end(subject)
                return cached
            key = self._load(subject)
            if key is None:
                key = secrets.token_bytes(KEY_BYTES)
                nonce = secrets.token_bytes(_NONCE_BYTES)
                wrapped = nonce + self._wrap.encrypt(nonce, key, subject.encode())
                self._db.execute(
                    "INSERT INTO subject_keys (subject, wrapped) VALUES (?, ?)",
                    (subject, wrapped),
                )
            self._remember(subject, key)
            return key

    def existing_key(self, subject: str) -> bytes | None:
        """The subject's data key, or None when it never existed or was destroyed."""
        with self._lock:
            cached = self._cache.get(subject)
            if cached is not None:
                return cached
            key = self._load(subject)
            if key is not None:
                self._remember(subject, key)
            return key

    def destroy(self, subjects: Iterable[str]) -> int:
        """Destroy these subjects' keys (crypto-shredding); returns how many existed."""
        names = list(dict.fromkeys(subjects))
        with self._lock:
            for name in names:
                self._cache.pop(name, None)
            self._db.execute("BEGIN")
            destroyed = 0
            for name in names:
                cursor = self._db.execute("DELETE FROM subject_keys WHERE subject = ?", (name,))
                destroyed += cursor.rowcount
            self._db.execute("COMMIT")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return destroyed

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM subject_keys").fetchone()
            return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _load(self, subject: str) -> bytes | None:
        row = self._db.execute(
            "SELECT wrapped FROM subject_keys WHERE subject = ?", (subject,)
        ).fetchone()
        if row is None:
            return None
        blob: bytes = row[0]
        return self._wrap.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], subject.encode())

    def _remember(self, subject: str, key: bytes) -> None:
        self._cache[subject] = key
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
