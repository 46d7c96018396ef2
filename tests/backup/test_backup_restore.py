"""Backups of a live workspace restore to exactly what was there; bad files change nothing."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from opencdp.backup import (
    BackupDamaged,
    BackupTruncated,
    DataDirInUse,
    IncompatibleBackup,
    MissingKey,
    WrongKey,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from opencdp.backup.container import Sealer, unseal
from opencdp.backup.restore import JOURNAL_MARGIN
from opencdp.backup.service import backup_key
from opencdp.backup.snapshot import table_sums, take_snapshot
from opencdp.config import load_settings
from opencdp.crypto import load_master_key
from opencdp.workspace import Workspace
from tests.backup.conftest import sibling
from tests.backup.store import personal_values, sums
from tests.collecting import collect


def file_sums(settings) -> dict:
    con = duckdb.connect(str(settings.database_path), read_only=True)
    try:
        return table_sums(con)
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_reapply(ws, since):
    return []


def test_restore_round_trip_equals_the_source(store, settings, tmp_path):
    before = sums(store.ws)
    made = store.create_backup()
    assert made["rows"] == sum(t["rows"] for t in before.values()) > 1000
    other = sibling(settings, "elsewhere")
    report = restore_backup(other, Path(made["path"]), reapply=no_reapply)
    assert report["rows"] == made["rows"] and report["tables"] == len(before)
    assert file_sums(other) == before  # every table: same rows, same checksum
    assert not [p for p in other.data_dir.iterdir() if p.name.startswith(".restore-")]


def test_restore_brings_back_the_backed_up_state_and_the_server_can_reopen_it(store, settings):
    made = store.create_backup()
    at_backup = sums(store.ws)
    collect(store, [{"type": "track", "event": "Later", "userId": "late-1",
                     "messageId": "late-1"}])  # fmt: skip
    assert sums(store.ws) != at_backup
    store.ws.close()
    report = restore_backup(settings, Path(made["path"]), reapply=no_reapply)
    assert report["previous_database"] is None
    assert file_sums(settings) == at_backup
    with Workspace(settings) as ws:  # dedupe, identity and writer start on the restored file
        late = "SELECT count(*) FROM events WHERE message_id = 'late-1'"
        assert ws.read(lambda c: c.execute(late).fetchall()) == [(0,)]


def test_writes_commit_while_a_snapshot_is_open_and_stay_out_of_it(store, tmp_path):
    """The snapshot is one read transaction: the writer commits meanwhile (no waiting on the
    backup), and the export and its sums describe the instant the backup began."""
    before = sums(store.ws)
    committed = []

    def collect_meanwhile() -> None:
        for n in range(3):
            collect(store, [{"type": "track", "event": "During", "userId": f"d{n}",
                             "messageId": f"during-{n}"}])  # fmt: skip
            committed.append(n)

    snap = store.ws.read(lambda con: take_snapshot(con, tmp_path / "x", collect_meanwhile))
    assert committed == [0, 1, 2]
    assert snap.tables == before
    after = sums(store.ws)
    assert after["events"]["rows"] == before["events"]["rows"] + 3
    exported = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'x' / 'events.parquet'}'")
    assert exported.fetchall() == [(before["events"]["rows"],)]


def test_backup_bytes_hold_no_personal_data_nor_the_master_key(store, settings, people):
    made = store.create_backup()
    blob = Path(made["path"]).read_bytes()
    values = personal_values(people)
    assert len(values) > 150
    # the store holds these people (so there was something to hide) ...
    imported = store.ws.read(lambda c: c.execute("SELECT count(*) FROM source_records").fetchall())
    assert imported[0][0] > 30
    # ... and the backup holds none of them, in any encoding a reader would try
    for value in values:
        for encoded in (value.encode(), value.lower().encode(), value.encode("utf-16-le")):
            assert encoded not in blob, value
    master = load_master_key(settings)
    for secret in (master, master.hex().encode(), backup_key(settings)):
        assert secret not in blob
    import base64

    assert base64.b64encode(master) not in blob
    # the parts are the database export only: no key file, no keystore, no other file
    parts = [p["name"] for p in unseal(Path(made["path"]), backup_key(settings), None)["parts"]]
    tables = store.ws.read(lambda c: c.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()[0][0])  # fmt: skip
    assert {"schema.sql", "load.sql"} <= set(parts) and len(parts) == tables + 2
    assert all(p in ("schema.sql", "load.sql") or p.endswith(".parquet") for p in parts)
    header = blob[: blob.index(b"}}") + 2]
    assert set(json.loads(header.split(b"\n", 1)[1][4:])["summary"]) == {
        "created_at", "taken_at", "opencdp_version", "duckdb_version", "schema_version",
        "method"}  # fmt: skip
    # no plaintext export is left behind in the data directory
    assert not [p for p in settings.data_dir.iterdir() if p.name.startswith(".backup-")]


def test_retention_keeps_the_newest_backups(settings, people, tmp_path):
    kept = load_settings(env={}, data_dir=settings.data_dir, backup_keep=2)
    with Workspace(kept) as ws:
        names = [create_backup(ws)["name"] for _ in range(3)]
        listed = list_backups(kept)
    assert [b["name"] for b in listed] == names[:0:-1]  # newest first, oldest pruned
    assert listed[0]["schema_version"] > 0 and "taken_at" in listed[0]
    elsewhere = tmp_path / "mine.cdpbackup"
    with Workspace(kept) as ws:
        create_backup(ws, elsewhere)
    assert elsewhere.exists() and len(list_backups(kept)) == 2  # -o files are not pruned


@pytest.fixture
def backed_up(store, settings):
    """A backup, and the workspace closed so that a restore may run."""
    made = store.create_backup()
    store.ws.close()
    return Path(made["path"])


def test_wrong_key_is_refused_and_nothing_changes(backed_up, settings):
    before = digest(settings.database_path)
    stranger = load_settings(env={}, data_dir=settings.data_dir,
                             master_key=bytes(range(32)).hex())  # fmt: skip
    with pytest.raises(WrongKey, match="different master key"):
        restore_backup(stranger, backed_up, reapply=no_reapply)
    assert digest(settings.database_path) == before


@pytest.mark.parametrize("damage", ["flip", "cut", "append"])
def test_damaged_files_are_refused_and_nothing_changes(backed_up, settings, damage):
    data = bytearray(backed_up.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "cut":
        del data[len(data) - 1000 :]
    else:
        data += b"\0"
    bad = backed_up.with_name("bad.cdpbackup")
    bad.write_bytes(bytes(data))
    before = digest(settings.database_path)
    expected = BackupTruncated if damage == "cut" else BackupDamaged
    with pytest.raises(expected):
        restore_backup(settings, bad, reapply=no_reapply)
    with pytest.raises(expected):
        verify_backup(settings, bad)
    assert digest(settings.database_path) == before
    assert [p.name for p in settings.data_dir.glob(".restore-*")] == []


def test_a_database_in_use_is_never_replaced(backed_up, settings):
    with Workspace(settings):
        before = digest(settings.database_path)
        with pytest.raises(DataDirInUse, match="in use"):
            restore_backup(settings, backed_up, reapply=no_reapply)
        assert digest(settings.database_path) == before


def test_one_restore_at_a_time_and_leftovers_of_dead_ones_are_removed(backed_up, settings):
    leftover = settings.data_dir / ".restore-dead"
    (leftover / "export").mkdir(parents=True)
    with (settings.data_dir / ".restore.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(DataDirInUse, match="another restore"):
            restore_backup(settings, backed_up, reapply=no_reapply)
        assert leftover.exists()
    restore_backup(settings, backed_up, reapply=no_reapply)
    assert not leftover.exists()


def test_a_fresh_data_dir_without_the_master_key_is_refused(backed_up, settings):
    empty = load_settings(env={}, data_dir=settings.data_dir.parent / "new")
    with pytest.raises(MissingKey, match="master key"):
        restore_backup(empty, backed_up, reapply=no_reapply)
    assert not (empty.data_dir / "master.key").exists()


def test_a_failed_replay_puts_the_old_database_back(backed_up, settings):
    with Workspace(settings) as ws:  # the live database moves on after the backup
        collect_one(ws)
    live = file_sums(settings)

    def failing(ws, since):
        raise RuntimeError("journal unreadable")

    with pytest.raises(RuntimeError, match="journal unreadable"):
        restore_backup(settings, backed_up, reapply=failing)
    assert file_sums(settings) == live


def collect_one(ws):
    from opencdp.admin import Admin

    collect(Admin(ws), [{"type": "track", "event": "After", "userId": "after-1",
                         "messageId": "after-1"}])  # fmt: skip


def test_replay_starts_before_the_snapshot_and_the_old_database_can_be_kept(backed_up, settings):
    seen = []

    def recording(ws, since):
        seen.append(since)
        assert ws.read(lambda c: c.execute("SELECT count(*) FROM events").fetchall())[0][0] > 0
        return ["receipt"]

    report = restore_backup(settings, backed_up, keep_previous=True, reapply=recording)
    taken = datetime.fromisoformat(report["taken_at"])
    assert seen == [taken - JOURNAL_MARGIN]
    assert timedelta(0) < JOURNAL_MARGIN < timedelta(hours=1)
    assert report["erasures_reapplied"] == 1
    assert Path(report["previous_database"]).exists()


def test_a_backup_from_a_newer_schema_is_refused(backed_up, settings, tmp_path):
    """Sealed by hand with a schema version from the future (the manifest is authenticated,
    so only a backup made under the key can claim one)."""
    future = tmp_path / "future.cdpbackup"
    summary = {"taken_at": "2030-01-01T00:00:00+00:00", "schema_version": 9999,
               "opencdp_version": "9.0", "duckdb_version": duckdb.__version__}  # fmt: skip
    with future.open("wb") as out:
        sealer = Sealer(out, backup_key(settings), summary)
        sealer.add_part("schema.sql", io.BytesIO(b""))
        sealer.finish({**summary, "tables": {}})
    with pytest.raises(IncompatibleBackup, match="newer"):
        restore_backup(settings, future, reapply=no_reapply)
