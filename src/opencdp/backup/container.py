"""The backup file: named parts sealed in AES-256-GCM chunks, closed by a manifest.

Layout: a magic line, a length-prefixed plaintext JSON header (times and versions only — no
data, so `opencdp backups list` works without the key), then records `kind ‖ length ‖
ciphertext`. A part opens with a `P` record (its name), continues with `D` records of at most
1 MiB each (memory stays flat however large the database), and the file closes with one `M`
record holding the manifest (every part's size and SHA-256).

Each backup gets a fresh file key, HKDF(backup key, random salt), so the record index can be
the GCM nonce. Every record's associated data binds it to the header's digest, its position
and its kind: an edited header, a swapped, dropped or reordered record, or a missing end all
fail authentication. A short key check in the header tells "wrong master key" apart from
"damaged file" before anything is decrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
from base64 import b64decode, b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from opencdp.backup.errors import BackupDamaged, BackupTruncated, NotABackup, WrongKey

MAGIC = b"opencdp-backup\n"
FORMAT = 1
CHUNK_BYTES = 1 << 20
_TAG_BYTES = 16
_MAX_HEADER = 1 << 20
_MAX_RECORD = 64 << 20  # the manifest record may exceed a chunk; nothing may be unbounded
_FRAME = struct.Struct(">cI")
PART, DATA, MANIFEST = b"P", b"D", b"M"


@dataclass(frozen=True)
class Header:
    """The plaintext start of a backup file: format, key check and a summary of the backup."""

    raw: bytes
    fields: dict[str, Any]

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.raw).digest()

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.fields.get("summary", {}))

    @property
    def length(self) -> int:
        return len(MAGIC) + 4 + len(self.raw)


def _file_key(backup_key: bytes, salt: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"opencdp/backup-file")
    return hkdf.derive(backup_key)


def _key_check(backup_key: bytes, salt: bytes) -> str:
    return hmac.new(backup_key, b"key-check" + salt, hashlib.sha256).hexdigest()[:32]


def _aad(header_digest: bytes, index: int, kind: bytes) -> bytes:
    return header_digest + index.to_bytes(8, "big") + kind


class Sealer:
    """Writes one backup file: `add_part` for each file of the snapshot, then `finish`."""

    def __init__(self, out: BinaryIO, backup_key: bytes, summary: dict[str, Any]) -> None:
        salt = secrets.token_bytes(16)
        raw = json.dumps(
            {"format": FORMAT, "salt": b64encode(salt).decode(),
             "key_check": _key_check(backup_key, salt), "chunk_bytes": CHUNK_BYTES,
             "summary": summary},
            sort_keys=True,
        ).encode()  # fmt: skip
        out.write(MAGIC + struct.pack(">I", len(raw)) + raw)
        self._out = out
        self._digest = hashlib.sha256(raw).digest()
        self._aead = AESGCM(_file_key(backup_key, salt))
        self._index = 0
        self.parts: list[dict[str, Any]] = []

    def _record(self, kind: bytes, plaintext: bytes) -> None:
        nonce = self._index.to_bytes(12, "big")
        sealed = self._aead.encrypt(nonce, plaintext, _aad(self._digest, self._index, kind))
        self._out.write(_FRAME.pack(kind, len(sealed)) + sealed)
        self._index += 1

    def add_part(self, name: str, source: BinaryIO) -> dict[str, Any]:
        """Seal `source` as the part `name`, chunk by chunk; returns its manifest entry."""
        self._record(PART, json.dumps({"name": name}).encode())
        digest, size = hashlib.sha256(), 0
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            self._record(DATA, chunk)
        entry = {"name": name, "bytes": size, "sha256": digest.hexdigest()}
        self.parts.append(entry)
        return entry

    def finish(self, manifest: dict[str, Any]) -> None:
        """Close the backup with its manifest (the parts are listed by the sealer)."""
        self._record(MANIFEST, json.dumps({**manifest, "parts": self.parts}).encode())


def read_header(handle: BinaryIO) -> Header:
    """The header at the start of `handle` (left positioned at the first record)."""
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise NotABackup("not an opencdp backup (unknown file signature)")
    size_bytes = handle.read(4)
    if len(size_bytes) < 4:
        raise BackupTruncated("the backup file is truncated inside its header")
    (size,) = struct.unpack(">I", size_bytes)
    if size > _MAX_HEADER:
        raise BackupDamaged("the backup header is damaged (impossible length)")
    raw = handle.read(size)
    if len(raw) < size:
        raise BackupTruncated("the backup file is truncated inside its header")
    try:
        fields = json.loads(raw)
    except ValueError as exc:
        raise BackupDamaged("the backup header is damaged (not JSON)") from exc
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise NotABackup(f"unsupported backup format {fields.get('format')!r}; this opencdp "
                         f"reads format {FORMAT}")  # fmt: skip
    return Header(raw, fields)


def header_of(path: Path) -> Header:
    with path.open("rb") as handle:
        return read_header(handle)


def check_key(header: Header, backup_key: bytes) -> bytes:
    """The file key, after checking the backup was made under this master key."""
    try:
        salt = b64decode(header.fields["salt"], validate=True)
        expected = str(header.fields["key_check"])
    except (KeyError, ValueError) as exc:
        raise BackupDamaged("the backup header is damaged (no key check)") from exc
    if not hmac.compare_digest(expected, _key_check(backup_key, salt)):
        raise WrongKey(
            "the backup was encrypted under a different master key (or its header is "
            "damaged): restore with the master key of the installation that made it"
        )
    return _file_key(backup_key, salt)


@dataclass(frozen=True)
class _Record:
    kind: bytes
    plaintext: bytes


def _records(handle: BinaryIO, header: Header, file_key: bytes) -> Iterator[_Record]:
    """Decrypt and authenticate records in order; ends after the manifest record."""
    aead = AESGCM(file_key)
    index = 0
    while True:
        frame = handle.read(_FRAME.size)
        if len(frame) < _FRAME.size:
            raise BackupTruncated(
                f"the backup file is truncated: it ends after {index} records, before its manifest"
            )
        kind, size = _FRAME.unpack(frame)
        if kind not in (PART, DATA, MANIFEST) or not _TAG_BYTES <= size <= _MAX_RECORD:
            raise BackupDamaged(f"the backup file is damaged at record {index}")
        sealed = handle.read(size)
        if len(sealed) < size:
            raise BackupTruncated(f"the backup file is truncated inside record {index}")
        try:
            plaintext = aead.decrypt(index.to_bytes(12, "big"), sealed,
                                     _aad(header.digest, index, kind))  # fmt: skip
        except InvalidTag:
            raise BackupDamaged(
                f"the backup file was altered or corrupted: record {index} fails authentication"
            ) from None
        yield _Record(kind, plaintext)
        index += 1
        if kind == MANIFEST:
            if handle.read(1):
                raise BackupDamaged("the backup file has data after its manifest")
            return


def _part_name(plaintext: bytes) -> str:
    name = str(json.loads(plaintext)["name"])
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise BackupDamaged(f"the backup names an unsafe part {name!r}")
    return name


def unseal(path: Path, backup_key: bytes, into: Path | None) -> dict[str, Any]:
    """Verify the whole backup and return its manifest; write its parts to `into` if given.

    Nothing is trusted until the manifest, the last record, authenticates and every part's
    size and SHA-256 match it; callers act on `into` only after this returns.
    """
    with path.open("rb") as handle:
        header = read_header(handle)
        file_key = check_key(header, backup_key)
        seen: list[dict[str, Any]] = []
        sink: BinaryIO | None = None
        digest = hashlib.sha256()
        name: str | None = None
        size = 0
        manifest: dict[str, Any] | None = None

        def close_part() -> None:
            nonlocal sink
            if name is not None:
                seen.append({"name": name, "bytes": size, "sha256": digest.hexdigest()})
            if sink is not None:
                sink.close()
                sink = None

        try:
            for record in _records(handle, header, file_key):
                if record.kind == PART:
                    close_part()
                    name, size, digest = _part_name(record.plaintext), 0, hashlib.sha256()
                    if into is not None:
                        sink = (into / name).open("xb")
                elif record.kind == DATA:
                    if name is None:
                        raise BackupDamaged("the backup has data before its first part")
                    digest.update(record.plaintext)
                    size += len(record.plaintext)
                    if sink is not None:
                        sink.write(record.plaintext)
                else:
                    close_part()
                    manifest = json.loads(record.plaintext)
        finally:
            if sink is not None:
                sink.close()
    if manifest is None or manifest.get("parts") != seen:
        raise BackupDamaged("the backup's parts do not match their checksums in its manifest")
    return manifest
