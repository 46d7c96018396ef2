"""Backup → erase → restore: the person erased after the backup does not come back.

The backup still holds the person; `opencdp restore` replays the privacy stage's erasure
journal (`privacy/journal.py`: keyed hashes only) for erasures recorded since the backup.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from opencdp.admin import Admin
from opencdp.audit.model import Actor, Entry
from opencdp.audit.verify import verify_chain
from opencdp.backup import restore_backup
from opencdp.workspace import Workspace
from tests.backup.conftest import sibling
from tests.collecting import collect

pytest.importorskip("opencdp.privacy.journal")


def mentions(ws: Workspace, values: list[str]) -> dict[str, int]:
    """Rows of every table whose text (the whole row cast to text) contains any value.

    With field encryption on, `values` (read from identity links) are pseudonyms, which the
    suppression list keeps by design (it screens what arrives by its stored form, plan R7):
    that table is not counted then."""
    tables = ws.read(lambda c: c.execute(
        "SELECT schema_name, table_name FROM duckdb_tables()"
        " WHERE database_name = current_database()").fetchall())  # fmt: skip
    found = {}
    for schema, table in tables:
        sql = (f'SELECT count(*) FROM "{schema}"."{table}" AS r WHERE '
               + " OR ".join("contains(r::VARCHAR, ?)" for _ in values))  # fmt: skip
        count = ws.read(lambda c, sql=sql: c.execute(sql, values).fetchall()[0][0])
        if count and not (ws.personal.enabled and table == "suppressions"):
            found[f"{schema}.{table}"] = count
    return found


def a_person(ws: Workspace) -> tuple[str, list[str]]:
    """An e-mail identifying a profile with several identifiers, and those identifiers."""
    profile, email = ws.read(lambda c: c.execute(
        "SELECT profile_id, any_value(identifier_value) FILTER (identifier_type = 'email')"
        " FROM identity_links GROUP BY profile_id"
        " HAVING count(*) FILTER (identifier_type = 'email') = 1"
        "  AND count(*) FILTER (identifier_type IN ('phone', 'customer_id')) >= 1"
        " ORDER BY profile_id LIMIT 1").fetchall()[0])  # fmt: skip
    mine = ("SELECT identifier_value FROM identity_links WHERE profile_id = ?"
            " AND identifier_type IN ('email', 'phone', 'customer_id')")  # fmt: skip
    values = ws.read(lambda c: c.execute(mine, [profile]).fetchall())
    return email, sorted(v for (v,) in values)


def test_backup_erase_restore_keeps_the_person_erased(store, settings):
    ws = store.ws
    email, values = a_person(ws)
    assert mentions(ws, values)  # the person is in the store ...
    made = store.create_backup()  # ... and in the backup
    receipt = ws.privacy.erase(f"email:{email}")
    assert receipt["status"] == "completed", receipt
    assert mentions(ws, values) == {}
    ws.close()

    # Without the journal, the backup would bring the person back:
    plain = sibling(settings, "without-journal")
    restore_backup(plain, Path(made["path"]), reapply=lambda ws, since: [])
    with Workspace(plain) as again:
        assert mentions(again, values)

    report = restore_backup(settings, Path(made["path"]))
    assert report["erasures_reapplied"] == 1
    with Workspace(settings) as restored:
        assert mentions(restored, values) == {}
        # and they stay suppressed: their identifiers arriving again are dropped
        collect(Admin(restored), [{"type": "identify", "userId": "returning",
                                   "messageId": "back-1", "traits": {"email": email}}])  # fmt: skip
        assert mentions(restored, values) == {}

    # restoring the same backup again changes nothing more (the journal replays idempotently)
    again_report = restore_backup(settings, Path(made["path"]))
    assert again_report["erasures_reapplied"] == 1
    with Workspace(settings) as twice:
        assert mentions(twice, values) == {}


KILLED_RESTORE = """
import os, signal, sys
from pathlib import Path
from opencdp.backup import restore_backup
from opencdp.config import load_settings

def die(ws, since):  # the restore is killed after the swap, before any erasure is replayed
    os.kill(os.getpid(), signal.SIGKILL)

restore_backup(load_settings(env={}, data_dir=sys.argv[1]), Path(sys.argv[2]), reapply=die)
"""


def test_a_restore_killed_before_its_replay_is_finished_by_the_next_open(store, settings):
    ws = store.ws
    email, values = a_person(ws)
    made = store.create_backup()
    assert ws.privacy.erase(f"email:{email}")["status"] == "completed"
    ws.audit.record(Entry("profile.read", Actor("user", "ann"), "api"))  # the log goes on
    ws.close()
    command = [sys.executable, "-c", KILLED_RESTORE, str(settings.data_dir), made["path"]]
    killed = subprocess.run(command, check=False, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert (settings.data_dir / "restore-pending.json").exists()
    assert [p.name for p in settings.data_dir.iterdir() if p.name.startswith(".restore-")]
    with Workspace(settings) as opened:  # as the server or any command would open it next
        assert mentions(opened, values) == {}
        # the shorter log is chained as the restore it is (the marker is authentic)
        opened.audit.flush()
        check = opened.read(lambda c: verify_chain(c, opened.audit.keys, opened.audit.head_path))
        restored = Admin(opened).audit_log(action="backup.restore")
    assert check.ok and "restored from a backup" in check.warnings[0]
    assert restored[0]["details"]["backup_taken_at"] == made["taken_at"]
    assert not (settings.data_dir / "restore-pending.json").exists()
    assert not [p for p in settings.data_dir.iterdir() if p.name.startswith(".restore-")]
