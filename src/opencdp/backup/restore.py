"""Restoring a backup into a data directory, without ever losing the database it replaces.

Order matters. Everything that can fail is done before the live database is touched: the
key is checked, the whole file is authenticated and checksummed, and a new database is
built from it in a private staging directory and compared with the manifest's row counts
and checksums. Only then, if no process holds the database, is the old file moved aside
and the new one moved in (renames within one directory). Erasures and suppressions the
privacy journal recorded since the backup was taken are applied again, so a person erased
after the backup does not come back; if that fails the old database is put back. The old
database is deleted once the restore succeeded, unless asked to keep it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from opencdp.audit.chain import GENESIS
from opencdp.audit.log import read_head
from opencdp.backup import pending
from opencdp.backup.container import check_key, header_of, unseal
from opencdp.backup.errors import BackupDamaged, DataDirInUse, IncompatibleBackup, MissingKey
from opencdp.backup.service import backup_key
from opencdp.backup.snapshot import load_snapshot
from opencdp.config import Settings
from opencdp.crypto.keys import key_file
from opencdp.db.migrations import available_migrations
from opencdp.workspace import Workspace

# Erasures journaled this long before the snapshot are applied again too: an erasure's
# journal time is read inside the transaction that deletes, before it commits (so a snapshot
# may start in between), and applying an erasure twice changes nothing.
JOURNAL_MARGIN = timedelta(minutes=10)
_IN_USE = re.compile(r"lock|same database file", re.IGNORECASE)


def restore_backup(
    settings: Settings, file: Path, *, keep_previous: bool = False,
    reapply: pending.Reapply | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Verify `file` and make it the data directory's database; returns a report.

    `reapply` replays the erasure journal (default: the privacy stage's `reapply_journal`).
    """
    started = time.perf_counter()
    key = _existing_backup_key(settings)
    check_key(header_of(file), key)  # a wrong key is reported before any work
    refuse_if_in_use(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _only_restore(settings):
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.data_dir))  # 0700
        return _restore(settings, file, key, staging, keep_previous, reapply, started)


@contextmanager
def _only_restore(settings: Settings) -> Iterator[None]:
    """One restore per data directory at a time; what dead ones left behind is removed
    (staging directories hold a plaintext export and a replaced database)."""
    with (settings.data_dir / ".restore.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirInUse(
                f"another restore is running on {settings.data_dir}; wait for it"
            ) from None
        for stale in settings.data_dir.glob(".restore-*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        yield


def _restore(
    settings: Settings, file: Path, key: bytes, staging: Path, keep_previous: bool,
    reapply: pending.Reapply | None, started: float,
) -> dict[str, Any]:  # fmt: skip
    try:
        export = staging / "export"
        export.mkdir()
        manifest = unseal(file, key, export)
        _check_schema(manifest)
        built = staging / "opencdp.duckdb"
        _compare(manifest, load_snapshot(export, built, settings.database_memory))
        shutil.rmtree(export)
        verified = time.perf_counter()
        refuse_if_in_use(settings)
        since = datetime.fromisoformat(manifest["taken_at"]) - JOURNAL_MARGIN
        pending.mark(settings, since, staging, taken_at=manifest["taken_at"],
                     audit_head=_audit_head(built))  # fmt: skip
        try:
            previous = _swap_in(settings, built, staging / "previous")
        except BaseException:
            pending.clear(settings)
            raise
        try:
            with pending.restoring(), Workspace(settings) as ws:  # migrates an older backup
                receipts = pending.replay_pending(ws, reapply)
        except BaseException:
            _swap_back(settings, previous)
            pending.clear(settings)
            raise
        kept = _keep(settings, previous) if keep_previous else None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    tables: dict[str, dict[str, Any]] = manifest["tables"]
    return {
        "restored_from": str(file),
        "database": str(settings.database_path),
        "taken_at": manifest["taken_at"],
        "schema_version": manifest["schema_version"],
        "tables": len(tables),
        "rows": sum(t["rows"] for t in tables.values()),
        "erasures_reapplied": len(receipts),
        "previous_database": str(kept) if kept else None,
        "seconds": {
            "verify_and_load": round(verified - started, 3),
            "total": round(time.perf_counter() - started, 3),
        },
    }


def verify_backup(settings: Settings, file: Path) -> dict[str, Any]:
    """Authenticate and checksum every byte of `file` without restoring it."""
    manifest = unseal(file, _existing_backup_key(settings), None)
    return {k: v for k, v in manifest.items() if k != "parts"} | {
        "parts": len(manifest["parts"]), "verified": True}  # fmt: skip


def _existing_backup_key(settings: Settings) -> bytes:
    """The backup key, refusing to invent a master key where none exists (a fresh data
    directory would otherwise get a new one that opens no backup)."""
    if not settings.master_key and not key_file(settings).exists():
        raise MissingKey(
            f"no master key for {settings.data_dir}: set OPENCDP_MASTER_KEY or copy the key "
            f"file of the installation that made the backup to {key_file(settings)}"
        )
    return backup_key(settings)


def refuse_if_in_use(settings: Settings) -> None:
    """Raise `DataDirInUse` when a server or any other process has the database open."""
    path = settings.database_path
    if not path.exists():
        return
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as exc:
        if _IN_USE.search(str(exc)):
            raise DataDirInUse(
                f"the database in {settings.data_dir} is in use{_server_hint(settings)}; "
                "stop it first — a restore never replaces the database under a running "
                "server"
            ) from None
        # Any other failure: the database is damaged, which is a reason to restore it.


def _server_hint(settings: Settings) -> str:
    try:
        import json

        pid = int(json.loads(settings.server_file.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return " by another process"
    return f" by a running opencdp server (pid {pid})"


def _check_schema(manifest: dict[str, Any]) -> None:
    known = max(m.version for m in available_migrations())
    if int(manifest["schema_version"]) > known:
        raise IncompatibleBackup(
            f"the backup has schema version {manifest['schema_version']}, newer than this "
            f"opencdp knows ({known}); restore it with opencdp {manifest['opencdp_version']} "
            "or later"
        )


def _compare(manifest: dict[str, Any], restored: dict[str, dict[str, Any]]) -> None:
    """The rebuilt database must hold what the backup recorded (checksums only compare
    under the DuckDB version that computed them)."""
    recorded: dict[str, dict[str, Any]] = manifest["tables"]
    same_engine = manifest.get("duckdb_version") == duckdb.__version__
    if set(recorded) != set(restored):
        raise BackupDamaged(
            f"the restored tables differ from the backup's: {sorted(set(recorded) ^ set(restored))}"
        )
    for name, sums in recorded.items():
        got = restored[name]
        if got["rows"] != sums["rows"] or (same_engine and got["checksum"] != sums["checksum"]):
            raise BackupDamaged(
                f"table {name} restored with {got['rows']} rows (checksum {got['checksum']}), "
                f"the backup recorded {sums['rows']} (checksum {sums['checksum']})"
            )


def _audit_head(database: Path) -> tuple[int, str]:
    """The last entry of the audit log in `database` (a backup from before the audit log
    has none: it starts empty when migrated)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return read_head(con)
    except duckdb.CatalogException:
        return 0, GENESIS
    finally:
        con.close()


def _database_files(settings: Settings) -> list[Path]:
    db = settings.database_path
    return [db, db.with_name(db.name + ".wal")]


def _swap_in(settings: Settings, built: Path, aside: Path) -> Path:
    aside.mkdir()
    for path in _database_files(settings):
        if path.exists():
            os.replace(path, aside / path.name)
    os.replace(built, settings.database_path)
    return aside


def _swap_back(settings: Settings, aside: Path) -> None:
    for path in _database_files(settings):
        path.unlink(missing_ok=True)
        if (aside / path.name).exists():
            os.replace(aside / path.name, path)


def _keep(settings: Settings, aside: Path) -> Path | None:
    old = aside / settings.database_path.name
    if not old.exists():
        return None
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    kept = settings.database_path.with_name(f"{settings.database_path.name}.before-restore-{stamp}")
    os.replace(old, kept)
    wal = aside / (old.name + ".wal")
    if wal.exists():
        os.replace(wal, kept.with_name(kept.name + ".wal"))
    return kept
