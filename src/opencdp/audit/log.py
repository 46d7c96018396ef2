"""The audit log of one workspace: entries buffered, chained and appended by the writer.

Recording an access must not slow the access, so `record` only buffers the entry. A flusher
thread lets entries gather for `FLUSH_SECONDS`, then queues one flush job on the single
writer, which applies it with whatever else it commits next: one insert of every buffered
entry, no commit of its own under load, and at most two a second when idle (a commit per read
would make each read wait for a WAL sync). The chain is computed on the writer thread, so
entries take their places in commit order. The buffer is emptied only after the commit, so a
rolled-back group retries the same entries, and the workspace flushes before its writer
stops, so a clean shutdown loses nothing (a crash loses at most the last half second).

After each commit the head of the chain (last seq and hash, with a MAC) is written to
`<data_dir>/audit.head`: deleting the newest entries then shows as a truncated chain.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.audit.alerts import Alert, Reader, Thresholds, UnusualAccess
from opencdp.audit.chain import GENESIS, AuditKeys, entry_hash
from opencdp.audit.model import AUDITOR, REASON_LIMIT, UNKNOWN_USER, UNVERIFIED, Entry, clean
from opencdp.config import Settings
from opencdp.db.writer import Writer, WriterSaturated, WriterStopped
from opencdp.profiles.lookup import find_profile_id

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5  # entries gather this long before one flush job is queued

_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("channel", pa.string()), ("actor_kind", pa.string()), ("actor_name", pa.string()),
    ("actor_role", pa.string()), ("token_id", pa.string()), ("action", pa.string()),
    ("target_kind", pa.string()), ("target", pa.string()),
    ("profile_keys", pa.list_(pa.string())), ("profiles_sealed", pa.string()),
    ("route", pa.string()), ("client_ip", pa.string()), ("user_agent", pa.string()),
    ("reason", pa.string()), ("status", pa.int32()), ("outcome", pa.string()),
    ("details", pa.string()), ("prev_hash", pa.string()), ("entry_hash", pa.string()),
])  # fmt: skip


def head_file(settings: Settings) -> Path:
    return settings.data_dir / "audit.head"


class AuditLog:
    """Buffers entries and appends them, chained, through the workspace's writer."""

    def __init__(self, settings: Settings, writer: Writer, read: Reader[Any]) -> None:
        self.keys = AuditKeys.from_settings(settings)
        self.head_path = head_file(settings)
        self.unusual = UnusualAccess(
            Thresholds(settings.audit_alert_factor, settings.audit_alert_min_reads,
                       settings.audit_alert_min_exports), read)  # fmt: skip
        self._writer = writer
        self._read = read
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._alerts: list[Alert] = []
        self._stored = 0  # entries committed by this log (flush waits on the count)
        self._queued = False  # a flush job waits in the writer's queue
        self._armed = False  # the flusher thread will queue one shortly
        self._head: tuple[int, str] | None = None  # read from the table at the first flush
        self._flusher = _Flush(self)
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opencdp-audit", daemon=True)
        self._thread.start()
        for entry in self._opening_check(settings, read):
            self.record(entry)

    def _opening_check(self, settings: Settings, read: Reader[Any]) -> list[Entry]:
        """Compare the head file with the table before anything is appended: newest
        entries deleted (or the file altered or deleted) would otherwise be covered by the
        next commit, which rewrites the head. The finding goes into the chain itself, as
        `audit.gap`, or as `backup.restore` when a restore is replacing the database (its
        marker authentic under the audit key and naming the log found here)."""
        from opencdp.backup.pending import Marker, read_marker  # the backup package imports us

        recorded = read_head_file(self.head_path, self.keys)
        marker = read_marker(settings, self.keys)
        marker_seq = marker.audit_head[0] if isinstance(marker, Marker) else 0

        def state(con: duckdb.DuckDBPyConnection) -> tuple[tuple[int, str], str | None, str | None]:
            def at(seq: int) -> str | None:
                row = con.execute("SELECT entry_hash FROM audit_log WHERE seq = ?",
                                  [seq]).fetchone()  # fmt: skip
                return GENESIS if seq == 0 else None if row is None else str(row[0])

            seq = recorded[0] if isinstance(recorded, tuple) else 0
            return read_head(con), at(seq), at(marker_seq)

        head, at_recorded, at_marker = read(state)
        seq = head[0]
        restored = isinstance(marker, Marker) and at_marker == marker.audit_head[1]
        if recorded is None and (seq == 0 or restored):
            # A new log, or one restored into a new data directory (nothing replaced): from
            # now on a missing head file is evidence.
            self._start_head(head)
            return []
        if recorded is None:
            problem = f"the head file {self.head_path.name} is missing ({seq} entries logged)"
        elif isinstance(recorded, str):
            problem = recorded
        elif recorded[0] > seq:
            problem = f"entries {seq + 1} to {recorded[0]} are missing"
        elif at_recorded != recorded[1]:
            problem = f"entry {recorded[0]} is not the one written there"
        else:
            return []  # the table is at or past the head (a crash before the file write)
        details: dict[str, Any] = {"problem": problem, "head_seq": seq}
        if isinstance(recorded, tuple):
            details["previous_head"] = {"seq": recorded[0], "hash": recorded[1]}
        if isinstance(marker, Marker):
            if restored:
                details["backup_taken_at"] = marker.taken_at
                return [Entry("backup.restore", AUDITOR, "system", details=details)]
            details["restore_marker"] = "the restore marker names another log than this one"
        elif marker is not None:
            details["restore_marker"] = marker  # what is wrong with it
        log.error(f"audit log: {problem} since it was last written (recorded as audit.gap)")
        return [Entry("audit.gap", AUDITOR, "system", details=details)]

    def _start_head(self, head: tuple[int, str]) -> None:
        try:
            self._write_head(*head)
        except OSError as exc:
            log.error("writing the audit head file failed", extra={"error": str(exc)})

    # recording -------------------------------------------------------------------
    def record(self, entry: Entry) -> None:
        """Keep `entry`; it is appended within `FLUSH_SECONDS` (or at `flush`/`close`)."""
        if entry.actor.kind == UNVERIFIED:
            self._hide_typed_name(entry)
        alert = self.unusual.observe(entry)
        with self._lock:
            self._entries.append(entry)
            if alert is not None:
                self._alerts.append(alert)
                self._entries.append(Entry(
                    "audit.alert", AUDITOR, "system", target_kind="actor",
                    target=f"{alert.actor_kind}:{alert.actor_name}",
                    details={"alert_id": alert.alert_id, "kind": alert.kind,
                             "accesses": alert.accesses, "baseline": round(alert.baseline, 2),
                             "threshold": alert.threshold},
                ))  # fmt: skip
            self._arm()
        if alert is not None:
            log.warning(alert.describe())

    def _hide_typed_name(self, entry: Entry) -> None:
        """A failed login names whatever was typed, which may be a password: keep it only
        as a keyed hash, so attempts on one name still group together."""
        entry.actor = replace(entry.actor, name=unverified_name(self.keys, entry.actor.name))
        if entry.target is not None:  # the name again (a login's target), perhaps less cut
            entry.target = unverified_name(self.keys, entry.target)

    def flush(self) -> None:
        """Wait until every entry recorded before this call is committed (entries other
        threads record meanwhile may go with it or later)."""
        with self._lock:
            target = self._stored + len(self._entries)
        stalled = 0
        while True:
            with self._lock:
                stored = self._stored
                if stored >= target:
                    return
                submit = not self._queued
                self._queued = True
            if submit:
                self._resolve()
                self._submit(retry=True)
            # The writer runs jobs in order: once this no-op commits, the flush queued
            # before it has been applied (or failed and left the entries for another try).
            self._writer.call(lambda con: None).result()
            with self._lock:
                stalled = 0 if self._stored > stored else stalled + 1
            if stalled >= 3:
                raise RuntimeError("audit entries could not be stored (see the log)")

    def close(self) -> None:
        """Store what is buffered; called by the workspace before its writer stops."""
        self._closing.set()
        self._wake.set()
        self._thread.join()
        try:
            self.flush()
        except WriterStopped:
            with self._lock:
                lost = len(self._entries)
            if lost:
                log.error(f"writer stopped before {lost} audit entries were stored")

    def _arm(self) -> None:
        """(Under the lock.) Have the flusher submit a flush soon, unless one is pending."""
        if not self._armed and not self._queued:
            self._armed = True
            self._wake.set()

    def _run(self) -> None:
        """The flusher: once entries wait, give them `FLUSH_SECONDS` to gather, then queue
        one flush job. Reads would otherwise each cost a commit (a WAL sync) when idle."""
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closing.is_set():
                return
            self._closing.wait(FLUSH_SECONDS)  # cut short by close, which flushes itself
            with self._lock:
                self._armed = False
                if self._queued or not self._entries:
                    continue
                self._queued = True
            self._resolve()
            self._submit()

    def _resolve(self) -> None:
        """Name the profiles of entries that carry only an identifier (a route whose
        operation did not note them), with one read here rather than on the request path."""
        with self._lock:
            pending = [e for e in self._entries if e.resolve is not None]
        if not pending:
            return

        def lookup(con: duckdb.DuckDBPyConnection) -> None:
            for entry in pending:
                found = find_profile_id(con, entry.resolve or "")
                if found is not None:
                    entry.profile_ids = [found]
                entry.resolve = None

        try:
            self._read(lookup)
        except Exception:  # the entry is kept with its identifier hash all the same
            log.exception("resolving audited identifiers failed")

    def _submit(self, retry: bool = False) -> None:
        delay = 0.01
        while True:
            try:
                future = self._writer.submit(self._flusher, None, weight=0)
            except WriterSaturated:
                if retry:
                    time.sleep(delay)  # flushing at close: wait for ingestion to drain
                    delay = min(delay * 2, 0.5)
                    continue
                with self._lock:  # ingestion fills the queue: try again after a pause
                    self._queued = False
                    self._arm()
                return
            except WriterStopped:
                with self._lock:
                    self._queued = False
                raise
            future.add_done_callback(self._flushed)
            return

    def _flushed(self, future: Future[Any]) -> None:
        if future.exception() is not None:
            log.error("storing audit entries failed",
                      extra={"error": type(future.exception()).__name__})  # fmt: skip
        with self._lock:
            self._queued = False
            if self._entries:
                self._arm()  # recorded while this flush was on its way

    # the writer's side ---------------------------------------------------------------
    def _apply(self, con: duckdb.DuckDBPyConnection) -> Callable[[], None] | None:
        with self._lock:
            entries = list(self._entries)
            alerts = list(self._alerts)
        if not entries and not alerts:
            return None
        head = self._head if self._head is not None else read_head(con)
        rows = self._chain(entries, head)
        audit_rows = pa.Table.from_pylist(rows, schema=_SCHEMA)  # noqa: F841 (read by name)
        con.execute("INSERT INTO audit_log BY NAME SELECT * FROM audit_rows")
        if alerts:
            con.executemany("INSERT INTO audit_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [a.row() for a in alerts])  # fmt: skip
        new_head = (rows[-1]["seq"], rows[-1]["entry_hash"]) if rows else head

        def committed() -> None:
            with self._lock:
                del self._entries[: len(entries)]
                del self._alerts[: len(alerts)]
                self._stored += len(entries)
            self._head = new_head
            try:  # runs on the writer thread after its commit: it must never raise
                self._write_head(*new_head)
            except OSError as exc:
                log.error("writing the audit head file failed", extra={"error": str(exc)})

        return committed

    def _chain(self, entries: Sequence[Entry], head: tuple[int, str]) -> list[dict[str, Any]]:
        seq, prev = head
        rows = []
        for entry in entries:
            seq += 1
            row = self.row(entry, seq, prev)
            prev = row["entry_hash"]
            rows.append(row)
        return rows

    def row(self, entry: Entry, seq: int, prev_hash: str) -> dict[str, Any]:
        """The stored form of `entry` at place `seq` after `prev_hash`, with its hash."""
        actor = entry.actor
        row: dict[str, Any] = {
            "seq": seq, "occurred_at": entry.occurred_at, "channel": entry.channel,
            "actor_kind": actor.kind, "actor_name": actor.name, "actor_role": actor.role,
            "token_id": actor.token_id, "action": entry.action,
            "target_kind": entry.target_kind, "target": entry.target,
            "profile_keys": [self.keys.profile_key(p) for p in entry.profile_ids],
            "profiles_sealed": self.keys.seal_ids(entry.profile_ids),
            "route": entry.route, "client_ip": entry.client_ip,
            "user_agent": entry.user_agent,
            "reason": self.keys.seal_text(clean(entry.reason, REASON_LIMIT)),
            "status": entry.status,
            "outcome": entry.outcome,
            "details": json.dumps(entry.details, sort_keys=True, ensure_ascii=False,
                                  separators=(",", ":"), default=str),
            "prev_hash": prev_hash,
        }  # fmt: skip
        row["entry_hash"] = entry_hash(self.keys.chain, list(row.values()))
        return row

    def _write_head(self, seq: int, digest: str) -> None:
        mac = entry_hash(self.keys.chain, ["head", seq, digest])
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest, "mac": mac}), encoding="utf-8")
        os.replace(tmp, self.head_path)


class _Flush:
    """The writer handler: one application stores every buffered entry."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Any]
    ) -> tuple[list[Any], Callable[[], None] | None]:
        return [None] * len(payloads), self._audit._apply(con)


def read_head(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The last seq and hash in the table (0 and the genesis hash when it is empty)."""
    row = con.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def read_head_file(path: Path, keys: AuditKeys) -> tuple[int, str] | str | None:
    """The head recorded after the last commit; a message if the file was tampered with."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seq, digest, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return f"the head file {path.name} is unreadable"
    if not hmac.compare_digest(mac, entry_hash(keys.chain, ["head", seq, digest])):
        return f"the head file {path.name} was altered (its MAC does not match)"
    return seq, digest


def unverified_name(keys: AuditKeys, typed: str) -> str:
    """The stored name of someone who failed to log in as `typed`."""
    return UNKNOWN_USER + keys.name_hash(typed)
