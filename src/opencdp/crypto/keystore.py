"""Per-person data keys, kept apart from the database so that destroying one shreds its data.

Sealed values (`crypto/tokens.py`) are encrypted with a random 256-bit data key per subject
(a pseudonym naming one person's identifier). The data keys live in a small SQLite file
beside the database (`<data_dir>/keystore.sqlite`), each wrapped with AES-GCM under a key
derived from the master key, and never inside the DuckDB file or its backups. Erasure calls
`destroy`: the rows are deleted with SQLite's `secure_delete` (the bytes are overwritten),
after which every copy of that person's ciphertext, in the live database or in any old
backup, is unreadable. Back the key store up on its own, short-lived schedule.

New keys are made in memory (`reserve`) on the hot path and stored together by
`persist_pending` (one SQLite transaction, one sync), which the writer calls before the
DuckDB commit that holds their first ciphertext: a stored ciphertext never lacks its key.
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
_CHUNK = 500  # subjects per SQLite IN list


class SubjectKeys:
    """Data keys by subject, as ready AES-GCM ciphers; created on first use."""

    def __init__(self, path: Path, master: bytes, cache_size: int = 200_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._wrap = AESGCM(derive_key(master, "keystore"))
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, AESGCM] = OrderedDict()
        self._pending: dict[str, bytes] = {}
        self._cache_size = cache_size
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS subject_keys ("
            " subject TEXT PRIMARY KEY, wrapped BLOB NOT NULL,"
            " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP) WITHOUT ROWID"
        )

    def reserve(self, subject: str) -> AESGCM:
        """The subject's cipher; a new key stays pending until `persist_pending`."""
        with self._lock:
            cipher = self._cached(subject)
            if cipher is not None:
                return cipher
            key = self._pending.get(subject) or self._load(subject)
            if key is None:
                key = secrets.token_bytes(KEY_BYTES)
                self._pending[subject] = key
            return self._remember(subject, key)

    def reserve_many(self, subjects: Iterable[str]) -> None:
        """`reserve` for many subjects in a few queries: existing keys are loaded, missing
        ones made (pending), so sealing a whole import column queries nothing per subject."""
        with self._lock:
            wanted = [s for s in dict.fromkeys(subjects)
                      if s not in self._cache and s not in self._pending]  # fmt: skip
            found: dict[str, bytes] = {}
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for subject, blob in self._db.execute(
                    f"SELECT subject, wrapped FROM subject_keys WHERE subject IN ({marks})",
                    chunk,
                ).fetchall():
                    found[subject] = self._unwrap(subject, blob)
            for subject in wanted:
                key = found.get(subject)
                if key is None:
                    key = self._pending[subject] = secrets.token_bytes(KEY_BYTES)
                self._remember(subject, key)

    def persist_pending(self) -> int:
        """Store every reserved key in one transaction; returns how many were new."""
        with self._lock:
            if not self._pending:
                return 0
            rows = [(s, self._wrapped(s, k)) for s, k in self._pending.items()]
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO subject_keys (subject, wrapped) VALUES (?, ?)", rows
            )
            self._db.execute("COMMIT")
            self._pending.clear()
            return len(rows)

    def key_for(self, subject: str) -> AESGCM:
        """The subject's cipher, its key stored before this returns (slow: one sync)."""
        cipher = self.reserve(subject)
        self.persist_pending()
        return cipher

    def existing(self, subject: str) -> AESGCM | None:
        """The subject's cipher, or None when it never existed or was destroyed."""
        with self._lock:
            cipher = self._cached(subject)
            if cipher is not None:
                return cipher
            key = self._pending.get(subject) or self._load(subject)
            return None if key is None else self._remember(subject, key)

    def load_many(self, subjects: Iterable[str]) -> None:
        """Warm the cache for many subjects in few queries (decrypting a whole column)."""
        with self._lock:
            wanted = [s for s in dict.fromkeys(subjects) if s not in self._cache]
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found = self._db.execute(
                    f"SELECT subject, wrapped FROM subject_keys WHERE subject IN ({marks})",
                    chunk,
                ).fetchall()
                for subject, blob in found:
                    self._remember(subject, self._unwrap(subject, blob))

    def destroy(self, subjects: Iterable[str]) -> int:
        """Destroy these subjects' keys (crypto-shredding); returns how many existed."""
        names = list(dict.fromkeys(subjects))
        with self._lock:
            destroyed = 0
            for name in names:
                self._cache.pop(name, None)
                destroyed += self._pending.pop(name, None) is not None
            self._db.execute("BEGIN")
            for name in names:
                cursor = self._db.execute("DELETE FROM subject_keys WHERE subject = ?", (name,))
                destroyed += cursor.rowcount
            self._db.execute("COMMIT")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return destroyed

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM subject_keys").fetchone()
            return int(row[0]) + len(self._pending)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _cached(self, subject: str) -> AESGCM | None:
        cipher = self._cache.get(subject)
        if cipher is not None:
            self._cache.move_to_end(subject)
        return cipher

    def _load(self, subject: str) -> bytes | None:
        row = self._db.execute(
            "SELECT wrapped FROM subject_keys WHERE subject = ?", (subject,)
        ).fetchone()
        return None if row is None else self._unwrap(subject, row[0])

    def _wrapped(self, subject: str, key: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._wrap.encrypt(nonce, key, subject.encode())

    def _unwrap(self, subject: str, blob: bytes) -> bytes:
        return self._wrap.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], subject.encode())

    def _remember(self, subject: str, key: bytes) -> AESGCM:
        cipher = AESGCM(key)
        self._cache[subject] = cipher
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return cipher
