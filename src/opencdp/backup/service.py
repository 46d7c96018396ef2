"""Making backups of an open workspace, listing them and keeping the newest N.

A backup is an export of one instant (`snapshot.py`) sealed into one encrypted file
(`container.py`) under a key derived from the master key; the master key itself never
enters it. The plaintext export lives only in a private temporary directory inside the data
directory (where the database already is) and is removed as soon as it is sealed; the
backup appears under its final name only once complete and synced.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from opencdp import __version__
from opencdp.backup.container import Sealer, header_of
from opencdp.backup.errors import BackupError, BackupNotFound
from opencdp.backup.snapshot import take_snapshot
from opencdp.config import Settings
from opencdp.crypto import derive_key, load_master_key
from opencdp.privacy.journal import journal_path
from opencdp.workspace import Workspace

SUFFIX = ".cdpbackup"
_NAME = re.compile(r"^opencdp-\d{8}T\d{6}\.\d{3}Z\.cdpbackup$")
_one_at_a_time = threading.Lock()


def backup_key(settings: Settings) -> bytes:
    """The key backups are sealed with: derived from the master key, never stored."""
    return derive_key(load_master_key(settings), "backup")


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def backup_name(when: datetime) -> str:
    return f"opencdp-{when:%Y%m%dT%H%M%S}.{when.microsecond // 1000:03d}Z{SUFFIX}"


def create_backup(ws: Workspace, out: Path | None = None) -> dict[str, Any]:
    """Back up the workspace as of now into `out`, or into the backup directory (then only
    the newest `backup_keep` backups there are kept). Collection continues meanwhile."""
    settings = ws.settings
    key = backup_key(settings)
    with _one_at_a_time:
        started = time.perf_counter()
        target = out or backup_dir(settings) / backup_name(datetime.now(UTC))
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(settings)
        journal = journal_path(settings)
        journal_bytes = journal.stat().st_size if journal.exists() else 0
        staging = Path(tempfile.mkdtemp(prefix=".backup-", dir=settings.data_dir))  # 0700
        try:
            snap = ws.read(lambda con: take_snapshot(con, staging / "export"))
            exported = time.perf_counter()
            summary = {
                "created_at": datetime.now(UTC).isoformat(),
                "taken_at": snap.taken_at.astimezone(UTC).isoformat(),
                "opencdp_version": __version__,
                "duckdb_version": duckdb.__version__,
                "schema_version": snap.schema_version,
                "method": "duckdb-export-parquet",
            }
            manifest = {**summary, "event_seq": snap.event_seq,
                        "erasure_journal_bytes": journal_bytes, "tables": snap.tables}  # fmt: skip
            _seal(staging / "export", target, key, summary, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        finished = time.perf_counter()
        pruned = prune(target.parent, settings.backup_keep) if out is None else []
    return {
        "name": target.name,
        "path": str(target),
        "bytes": target.stat().st_size,
        "taken_at": summary["taken_at"],
        "schema_version": snap.schema_version,
        "event_seq": snap.event_seq,
        "tables": len(snap.tables),
        "rows": sum(t["rows"] for t in snap.tables.values()),
        "seconds": {
            "snapshot": round(exported - started, 3),
            "seal": round(finished - exported, 3),
            "total": round(finished - started, 3),
        },
        "pruned": pruned,
    }


def _remove_leftovers(settings: Settings) -> None:
    """What a backup killed half-way left: a plaintext export, a partial file. Only one
    process holds the workspace and backups in it take turns, so none is in progress."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for stale in settings.data_dir.glob(".backup-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for partial in backup_dir(settings).glob(f"opencdp-*{SUFFIX}.partial"):
        partial.unlink(missing_ok=True)


def _seal(
    export: Path, target: Path, key: bytes, summary: dict[str, Any], manifest: dict[str, Any]
) -> None:
    """Seal every file of `export` into `target`: written as `.partial`, synced, renamed."""
    partial = target.with_name(target.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            sealer = Sealer(handle, key, summary)
            for part in sorted(export.iterdir()):
                if not part.is_file():
                    raise BackupError(f"unexpected directory {part.name} in the export")
                with part.open("rb") as source:
                    sealer.add_part(part.name, source)
            sealer.finish(manifest)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
        _sync_directory(target.parent)
    finally:
        partial.unlink(missing_ok=True)


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _named_backups(directory: Path) -> list[Path]:
    """The backups opencdp wrote in `directory`, newest first (names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if _NAME.match(p.name)), reverse=True)


def prune(directory: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` backups in `directory` (0 keeps every one)."""
    if keep <= 0:
        return []
    removed = []
    for old in _named_backups(directory)[keep:]:
        old.unlink(missing_ok=True)
        removed.append(old.name)
    return removed


def list_backups(settings: Settings) -> list[dict[str, Any]]:
    """The backups in the backup directory, newest first, from their plaintext headers."""
    found = []
    for path in _named_backups(backup_dir(settings)):
        entry: dict[str, Any] = {"name": path.name, "path": str(path),
                                 "bytes": path.stat().st_size}  # fmt: skip
        try:
            entry.update(header_of(path).summary)
        except BackupError as exc:
            entry["error"] = str(exc)
        found.append(entry)
    return found


def backup_path(settings: Settings, name: str) -> Path:
    """The file of the backup called `name` (only names opencdp gives, no paths)."""
    path = backup_dir(settings) / name
    if not _NAME.match(name) or not path.is_file():
        raise BackupNotFound(f"no backup named {name!r} in {backup_dir(settings)}")
    return path
