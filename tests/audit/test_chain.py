"""The chain detects any modified, deleted, inserted or reordered entry, and truncation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.admin import Admin
from opencdp.audit.chain import COLUMNS, GENESIS, HASHED, AuditKeys, entry_hash
from opencdp.audit.log import AuditLog, head_file, read_head, read_head_file
from opencdp.audit.model import Actor, Entry
from opencdp.audit.verify import verify_chain
from opencdp.backup import pending
from opencdp.db.migrations import migrate
from opencdp.workspace import Workspace

ANN = Actor("user", "ann", "analyst", "tok_1")


def _entries(n: int) -> list[Entry]:
    start = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    return [Entry("profile.read", ANN, "api", occurred_at=start + timedelta(seconds=i),
                  target_kind="profile", profile_ids=[f"prof_{i}"], route="GET /v1/profiles",
                  client_ip="10.0.0.1", reason="ticket 1" if i % 2 else None, status=200,
                  details={"i": i, "text": "ü\u2028"}) for i in range(n)]  # fmt: skip


def _check(ws: Workspace) -> dict:
    ws.audit.flush()
    return ws.read(lambda con: verify_chain(con, ws.audit.keys, ws.audit.head_path)).to_json()


@pytest.fixture
def logged(workspace: Workspace) -> Workspace:
    for entry in _entries(6):
        workspace.audit.record(entry)
    workspace.audit.flush()
    return workspace


def _sql(ws: Workspace, sql: str) -> None:
    ws.write(lambda con: con.execute(sql))


def test_an_intact_log_verifies_and_continues_after_a_restart(logged, settings):
    assert _check(logged) == {**_check(logged), "ok": True, "entries": 6, "first_broken": None}
    logged.close()
    with Workspace(settings) as again:
        again.audit.record(_entries(1)[0])
        result = _check(again)
    assert result["ok"] and result["entries"] == 7 and result["warnings"] == []


@pytest.mark.parametrize(("sql", "seq", "words"), [
    ("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3", 3, "modified"),
    ("UPDATE audit_log SET reason = NULL WHERE seq = 4", 4, "modified"),
    ("UPDATE audit_log SET occurred_at = occurred_at + INTERVAL 1 HOUR WHERE seq = 2", 2,
     "modified"),
    ("UPDATE audit_log SET profile_keys = [] WHERE seq = 5", 5, "modified"),
    ("UPDATE audit_log SET details = '{}' WHERE seq = 1", 1, "modified"),
    ("DELETE FROM audit_log WHERE seq = 3", 4, "missing"),
    ("DELETE FROM audit_log WHERE seq IN (2, 3)", 4, "missing"),
    ("DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3",
     3, "follow"),
    ("INSERT INTO audit_log SELECT * REPLACE (7 AS seq) FROM audit_log WHERE seq = 6", 7,
     "does not follow"),
    ("INSERT INTO audit_log SELECT * REPLACE ('eve' AS actor_name) FROM audit_log"
     " WHERE seq = 2", 2, "out of sequence"),
    ("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)", 2,
     "follow"),
], ids=["actor", "reason", "time", "profiles", "details", "delete", "delete-two", "renumber",
        "append-copy", "insert-copy", "swap"])  # fmt: skip
def test_tampering_is_found_at_the_first_broken_entry(logged, sql, seq, words):
    for statement in sql.split(";"):
        _sql(logged, statement)
    result = _check(logged)
    assert not result["ok"]
    assert result["first_broken"]["seq"] == seq, result
    assert words in result["first_broken"]["problem"]


def test_deleting_the_newest_entries_shows_as_truncation(logged):
    _sql(logged, "DELETE FROM audit_log WHERE seq >= 5")
    result = _check(logged)
    assert not result["ok"] and result["first_broken"]["seq"] == 5
    assert "truncated" in result["first_broken"]["problem"]


def test_a_truncation_stays_visible_after_new_entries_are_written(logged, settings, caplog):
    _sql(logged, "DELETE FROM audit_log WHERE seq >= 5")
    logged.close()
    with Workspace(settings) as again:  # the next writer finds the gap and chains it
        again.audit.record(_entries(1)[0])
        result = _check(again)
        gap = Admin(again).audit_log(action="audit.gap")
    assert not result["ok"] and result["first_broken"]["seq"] == 5
    assert "entries 5 to 6 are missing" in result["first_broken"]["problem"]
    assert gap[0]["details"]["previous_head"]["seq"] == 6
    assert "recorded as audit.gap" in caplog.text


def _head(ws: Workspace) -> tuple[int, str]:
    return ws.read(read_head)


def test_a_restore_is_chained_as_such_and_only_warned_about(logged, settings):
    _sql(logged, "DELETE FROM audit_log WHERE seq >= 4")  # as if restored from an older copy
    restored = _head(logged)
    logged.close()
    pending.mark(settings, datetime.now(UTC), settings.data_dir, taken_at="2024-05-01T09:00:00",
                 audit_head=restored)  # fmt: skip
    try:
        with pending.restoring(), Workspace(settings) as again:
            result = _check(again)
            entry = Admin(again).audit_log(action="backup.restore")[0]
    finally:
        pending.clear(settings)
    assert result["ok"] and result["entries"] == 4
    assert result["warnings"] == ["entry 4: the database was restored from a backup; the "
                                  "replaced log reached entry 6"]  # fmt: skip
    assert entry["details"]["backup_taken_at"] == "2024-05-01T09:00:00"


@pytest.mark.parametrize("forge", ["hand-made", "altered", "another-restore"])
def test_a_forged_restore_marker_does_not_turn_a_gap_into_a_restore(logged, settings, forge):
    _sql(logged, "DELETE FROM audit_log WHERE seq >= 4")  # truncated, then a marker forged
    truncated = _head(logged)
    logged.close()
    path = pending.marker(settings)
    if forge == "hand-made":  # the format before markers were authenticated
        path.write_text(json.dumps({"since": datetime.now(UTC).isoformat(),
                                    "staging": str(settings.data_dir)}))  # fmt: skip
    else:
        other = (2, "f" * 64) if forge == "another-restore" else truncated
        pending.mark(settings, datetime.now(UTC), settings.data_dir, taken_at="2024-05-01",
                     audit_head=other)  # fmt: skip
        if forge == "altered":
            body = json.loads(path.read_text())
            path.write_text(json.dumps({**body, "taken_at": "2024-06-01"}))
    try:
        with pending.restoring(), Workspace(settings) as again:
            result = _check(again)
            gap = Admin(again).audit_log(action="audit.gap")
    finally:
        pending.clear(settings)
    assert not result["ok"] and "entries 4 to 6 are missing" in result["first_broken"]["problem"]
    assert gap and "restore marker" in gap[0]["details"]["restore_marker"]


def test_a_forged_head_file_is_found(logged, settings):
    path = head_file(settings)
    head = json.loads(path.read_text())
    path.write_text(json.dumps({**head, "seq": 4}))
    result = _check(logged)
    assert not result["ok"] and "altered" in result["first_broken"]["problem"]
    path.unlink()
    result = _check(logged)
    assert not result["ok"] and "head file is missing" in result["first_broken"]["problem"]


def test_a_new_log_writes_its_head_file_on_opening(settings):
    with Workspace(settings) as ws:
        assert read_head_file(head_file(settings), ws.audit.keys) == (0, GENESIS)
        assert _check(ws)["ok"]


def test_deleting_the_head_file_with_the_newest_entries_is_recorded_as_a_gap(logged, settings):
    _sql(logged, "DELETE FROM audit_log WHERE seq >= 5")
    logged.close()
    head_file(settings).unlink()
    with Workspace(settings) as again:  # the next opening records the missing head file
        again.audit.record(_entries(1)[0])
        result = _check(again)
        gap = Admin(again).audit_log(action="audit.gap")
    assert not result["ok"] and result["first_broken"]["seq"] == 5
    assert "head file audit.head is missing (4 entries logged)" in result["first_broken"][
        "problem"]  # fmt: skip
    assert gap[0]["details"]["head_seq"] == 4
    with Workspace(settings) as later:  # the gap stays in the chain; nothing new is found
        assert Admin(later).audit_log(action="audit.gap") == gap
        assert not _check(later)["ok"]


def test_rewriting_the_whole_chain_needs_the_key(logged, settings):
    """An attacker who recomputes every hash with another key still fails verification."""
    forger = AuditLog.__new__(AuditLog)
    forger.keys = AuditKeys.from_master(b"\x01" * 32)
    rows = logged.read(lambda con: con.execute(
        "SELECT * FROM audit_log ORDER BY seq").fetchall())  # fmt: skip
    _sql(logged, "DELETE FROM audit_log")
    prev = GENESIS
    for row in rows:
        values = dict(zip(COLUMNS, row, strict=True))
        values["actor_name"] = "nobody"
        values["prev_hash"] = prev
        values["entry_hash"] = entry_hash(forger.keys.chain, [values[c] for c in HASHED])
        prev = values["entry_hash"]
        logged.write(lambda con, v=values: con.execute(
            f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES"
            f" ({', '.join('?' for _ in COLUMNS)})", [v[c] for c in COLUMNS]))  # fmt: skip
    result = _check(logged)
    assert not result["ok"] and result["first_broken"]["seq"] == 1


@pytest.fixture(scope="module")
def memory_log() -> tuple[duckdb.DuckDBPyConnection, AuditKeys]:
    """Five chained entries in an in-memory database; each example rolls its change back."""
    con = duckdb.connect()
    migrate(con)
    log = AuditLog.__new__(AuditLog)
    log.keys = AuditKeys.from_master(b"\x02" * 32)
    prev = GENESIS
    for seq, entry in enumerate(_entries(5), start=1):
        row = log.row(entry, seq, prev)
        prev = row["entry_hash"]
        con.execute(f"INSERT INTO audit_log ({', '.join(row)}) VALUES"
                    f" ({', '.join('?' for _ in row)})", list(row.values()))  # fmt: skip
    return con, log.keys


_TEXT_COLUMNS = ["channel", "actor_kind", "actor_name", "actor_role", "token_id", "action",
                 "target_kind", "target", "route", "client_ip", "user_agent", "reason",
                 "outcome", "details", "prev_hash"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(seq=st.integers(1, 5), column=st.sampled_from(_TEXT_COLUMNS),
       value=st.text(max_size=8))  # fmt: skip
def test_any_change_to_any_field_is_found(memory_log, tmp_path_factory, seq, column, value):
    con, keys = memory_log
    old = con.execute(f"SELECT {column} FROM audit_log WHERE seq = ?", [seq]).fetchone()[0]
    con.execute("BEGIN")
    try:
        con.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = ?", [value, seq])
        result = verify_chain(con, keys, tmp_path_factory.getbasetemp() / "no-head")
    finally:
        con.execute("ROLLBACK")
    assert result.ok == (old == value)
    if not result.ok:
        assert result.broken is not None and result.broken["seq"] == seq


def test_concurrent_recording_loses_nothing_and_chains_in_order(workspace):
    """Threads record while others flush and the flusher runs: every entry lands once."""
    import threading

    def worker(k: int) -> None:
        for i in range(150):
            workspace.audit.record(Entry("profile.read", Actor("user", f"w{k}"), "api",
                                         details={"i": i}))  # fmt: skip
            if i % 50 == 0:
                workspace.audit.flush()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = _check(workspace)
    assert result["ok"] and result["entries"] == 8 * 150
    per_worker = workspace.read(
        lambda con: con.execute(
            "SELECT actor_name, count(DISTINCT details) FROM audit_log GROUP BY 1"
        ).fetchall()
    )
    assert sorted(per_worker) == [(f"w{k}", 150) for k in range(8)]
