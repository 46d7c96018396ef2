"""The backup file format: sealed parts round-trip; any change, cut or wrong key is refused."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.backup.container import CHUNK_BYTES, Sealer, header_of, unseal
from opencdp.backup.errors import (
    BackupDamaged,
    BackupError,
    BackupTruncated,
    NotABackup,
    WrongKey,
)

KEY = bytes(range(32))
PARTS = {"schema.sql": b"CREATE TABLE t (x INT);\n", "empty.parquet": b"",
         "t.parquet": os.urandom(CHUNK_BYTES * 2 + 12345)}  # fmt: skip


def sealed(parts: dict[str, bytes] = PARTS, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealer = Sealer(out, key, {"taken_at": "2026-01-01T00:00:00+00:00", "schema_version": 3})
    for name, data in parts.items():
        sealer.add_part(name, io.BytesIO(data))
    sealer.finish({"tables": {"t": {"rows": 1, "checksum": "0"}}})
    return out.getvalue()


@pytest.fixture(scope="module")
def backup_bytes() -> bytes:
    return sealed()


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "b.cdpbackup"
    path.write_bytes(data)
    return path


def test_parts_round_trip_with_their_checksums(tmp_path, backup_bytes):
    out = tmp_path / "out"
    out.mkdir()
    manifest = unseal(write(tmp_path, backup_bytes), KEY, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == PARTS
    assert [p["name"] for p in manifest["parts"]] == list(PARTS)
    assert manifest["tables"] == {"t": {"rows": 1, "checksum": "0"}}
    header = header_of(tmp_path / "b.cdpbackup")
    assert header.summary == {"taken_at": "2026-01-01T00:00:00+00:00", "schema_version": 3}


def test_each_backup_has_its_own_file_key(backup_bytes):
    again = sealed()
    assert again[-4096:] != backup_bytes[-4096:]  # fresh salt: same data, other ciphertext


def test_a_different_master_key_is_named_as_such(tmp_path, backup_bytes):
    with pytest.raises(WrongKey, match="different master key"):
        unseal(write(tmp_path, backup_bytes), bytes(32), None)


def test_other_files_are_not_backups(tmp_path):
    with pytest.raises(NotABackup):
        unseal(write(tmp_path, b"SQLite format 3\0" + bytes(100)), KEY, None)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_changed_byte_is_refused(tmp_path_factory, backup_bytes, data):
    position = data.draw(st.integers(0, len(backup_bytes) - 1))
    flip = data.draw(st.integers(1, 255))
    damaged = bytearray(backup_bytes)
    damaged[position] ^= flip
    path = write(tmp_path_factory.mktemp("flip"), bytes(damaged))
    with pytest.raises(BackupError):
        unseal(path, KEY, None)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_cut_is_refused_as_truncated(tmp_path_factory, backup_bytes, data):
    header_end = header_of(write(tmp_path_factory.mktemp("h"), backup_bytes)).length
    cut = data.draw(st.integers(header_end, len(backup_bytes) - 1))
    path = write(tmp_path_factory.mktemp("cut"), backup_bytes[:cut])
    with pytest.raises(BackupTruncated):
        unseal(path, KEY, None)


def test_cuts_inside_the_header_and_appended_bytes_are_refused(tmp_path, backup_bytes):
    for cut in (0, 5, 20, 40):
        with pytest.raises(BackupError):
            unseal(write(tmp_path, backup_bytes[:cut]), KEY, None)
    with pytest.raises(BackupDamaged, match="after its manifest"):
        unseal(write(tmp_path, backup_bytes + b"x"), KEY, None)


def test_records_cannot_be_dropped_or_reordered(tmp_path):
    parts = {"a": b"A" * 10, "b": b"B" * 10}
    whole = sealed(parts)
    header_end = header_of(write(tmp_path, whole)).length
    body = whole[header_end:]
    records = []
    while body:
        size = int.from_bytes(body[1:5], "big")
        records.append(body[: 5 + size])
        body = body[5 + size :]
    assert len(records) == 5  # P a, D a, P b, D b, M
    head = whole[:header_end]
    dropped = head + b"".join(records[:2] + records[4:])
    swapped = head + b"".join([records[2], records[3], records[0], records[1], records[4]])
    for variant in (dropped, swapped):
        with pytest.raises(BackupDamaged):
            unseal(write(tmp_path, variant), KEY, None)


def test_memory_stays_flat_for_large_parts(tmp_path):
    """A 64 MB part is sealed and unsealed holding about one chunk at a time."""
    big = tmp_path / "big"
    with big.open("wb") as handle:
        for _ in range(64):
            handle.write(os.urandom(1 << 20))
    path = tmp_path / "big.cdpbackup"
    tracemalloc.start()
    try:
        with path.open("wb") as out, big.open("rb") as source:
            sealer = Sealer(out, KEY, {})
            sealer.add_part("big", source)
            sealer.finish({})
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        unseal(path, KEY, out_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (out_dir / "big").stat().st_size == 64 << 20
    assert peak < 8 * CHUNK_BYTES, peak
