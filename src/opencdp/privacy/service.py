"""Running data-subject requests as jobs that survive a crash.

A request is a row (`privacy.requests`) and a few steps; after each step the row says which
step is done, and every step can run twice without harm, so a request left `running` by a
crash is resumed from its last step when the workspace opens again.

Erasure:
1. `database` — in one write transaction: find the person (from the identifier, or from
   journal hashes), delete their rows (`erasure.erase_rows`), store their identifier hashes
   as suppressed and put them in the in-memory set the collector and importers check,
   record what later steps need, and append the journal line (keyed hashes, outside the
   database, synced before the transaction commits: a restore can never bring back someone
   whose rows are gone). Then their component leaves the live identity graph
   (`IdentityResolver.forget`, no rebuild). Derived work (identity stitching, profile
   updates, scheduled jobs) waits on the refresher's lock meanwhile, so nothing it read
   before the deletion can be written back after it.
2. `files` — the copies opencdp made: destination files are rewritten without them (each
   file on its own; one that cannot be read is listed in the receipt with the reason), their
   rows are deleted from database destinations' tables, and their stored access exports are
   deleted. Each destination is handled while none of its syncs runs (`guard.GUARD`), so a
   sync that read them before step 1 has written its copy by then, and is named in the
   receipt.
3. completed — after the registered `after_erasure` hooks ran (the first destroys the
   field-encryption data keys step 1 chose, `privacy.shred`: kept in the request, as
   pseudonyms, until then); the receipt stays; the identifier as given and the person found
   do not.

Once step 1 has committed, a failure never marks the request `failed`: it stays `running`
with the error noted, and is retried by the scheduler and when the workspace opens. Error
messages name the exception's type and place only: parsers and drivers quote the data they
choke on.

Access: find the person, build the export document, keep it under
`<data_dir>/privacy/exports/<request id>.json` (mode 0600) for download until it expires
(`privacy_export_days`) or the person is erased, complete.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from opencdp.activate.warehouse import delete_profiles
from opencdp.audit.context import note_details, note_profiles, note_target
from opencdp.privacy import files, requests
from opencdp.privacy.erasure import erase_rows, held_by_destinations
from opencdp.privacy.export import access_document, section_sizes
from opencdp.privacy.guard import GUARD
from opencdp.privacy.journal import JournalEntry, append
from opencdp.privacy.plaintext import plain_identifiers
from opencdp.privacy.subject import (
    HashIndex,
    Subject,
    find_subject,
    hash_index,
    subject_of_profile,
    subjects_by_hashes,
)
from opencdp.privacy.suppression import store_hashes

if TYPE_CHECKING:
    from opencdp.workspace import Workspace

log = logging.getLogger(__name__)
Hook = Callable[[Subject], "dict[str, Any] | None"]
AFTER_DATABASE = ("database", "files", "journal")  # steps after which nothing is undone


def _now() -> datetime:
    return datetime.now(UTC)


class Privacy:
    """Data-subject requests of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        # Run after an erasure's database step with the person erased (e.g. to destroy their
        # field-encryption keys); each returns counts for the receipt (no personal data).
        self.after_erasure: list[tuple[str, Hook]] = [("data_keys", self._destroy_keys)]
        self._hash_index: HashIndex | None = None  # while `reapply` runs several erasures
        self._running: set[str] = set()  # requests a thread of this process is running
        self._running_lock = threading.Lock()

    # requests ----------------------------------------------------------------------------
    def access(self, identifier: str) -> dict[str, Any]:
        """Run an access request; returns the request and the export document."""
        request_id = self.ws.write(lambda con: requests.create(con, "access", identifier, _now()))
        note_target("privacy_request", request_id)  # the audit entry of this call
        document = self.run(request_id)
        return {"request": self.get(request_id), "export": document}

    def erase(self, identifier: str) -> dict[str, Any]:
        """Run an erasure request; returns the request with its receipt."""
        request_id = self.ws.write(lambda con: requests.create(con, "erasure", identifier,
                                                               _now()))  # fmt: skip
        note_target("privacy_request", request_id)
        self.run(request_id)
        return self.get(request_id)

    def get(self, request_id: str) -> dict[str, Any]:
        return self.ws.read(lambda con: requests.get(con, request_id))

    def export_of(self, request_id: str) -> dict[str, Any]:
        """The stored export of a completed access request."""
        request = self.get(request_id)
        path = self._export_path(request_id)
        if request["kind"] != "access" or not path.exists():
            raise requests.RequestNotFound(
                f"request {request_id!r} has no stored export (not an access request, not"
                " completed, or deleted by a later erasure)")  # fmt: skip
        data: dict[str, Any] = orjson.loads(path.read_bytes())
        return data

    def resume(self) -> list[dict[str, Any]]:
        """Finish every request a crash left `received` or `running` (workspace start), and
        delete stored exports past their time."""
        done = []
        for request_id in self.ws.read(requests.unfinished):
            self._retry(request_id)
            done.append(self.get(request_id))
        self.expire_exports()
        return done

    def scheduled(self) -> dict[str, int]:
        """The scheduler's job: retry erasures whose step after the database failed, and
        delete stored exports past their time."""
        stalled = self.ws.read(requests.stalled)
        for request_id in stalled:
            self._retry(request_id)
        return {"retried": len(stalled), "exports_expired": len(self.expire_exports())}

    def expire_exports(self, now: datetime | None = None) -> list[str]:
        """Delete stored access exports older than `privacy_export_days`; returns their
        request ids (their receipts say when)."""
        now = now or _now()
        completed = self.ws.read(requests.access_exports)
        expired = files.expire_exports(self.ws.settings.data_dir, completed, now,
                                       self.ws.settings.privacy_export_days)  # fmt: skip
        known = [r for r in expired if r in completed]
        if known:
            self.ws.write(lambda con: requests.export_expired(con, known, now))
        return expired

    def remember_folders(self, name: str) -> None:
        """Before destination `name` is deleted or pointed elsewhere: note its folder, so
        every later erasure still scrubs the files its syncs left there."""
        found = self.ws.read(lambda con: con.execute(
            "SELECT name, kind, config::VARCHAR FROM destinations WHERE name = ?", [name]
        ).fetchall())  # fmt: skip
        files.remember_folders(self.ws.settings.data_dir,
                               [(n, k, orjson.loads(c)) for n, k, c in found])  # fmt: skip

    def _retry(self, request_id: str) -> None:
        try:
            self.run(request_id)
        except Exception as exc:
            log.error("resuming a privacy request failed: %s", _where(exc),
                      extra={"error": type(exc).__name__})  # fmt: skip

    def run(self, request_id: str) -> dict[str, Any] | None:
        """Run (or resume) one request; an access request returns its document."""
        with self._claim(request_id) as mine:
            if not mine:  # another thread of this process is running it
                return None
            request = self.ws.read(lambda con: requests.load(con, request_id))
            if request["status"] in ("completed", "failed"):
                return None
            self.ws.write(lambda con: requests.start(con, request_id, _now()))
            try:
                if request["kind"] == "access":
                    return self._access(request)
                self._erasure(request)
                return None
            except Exception as exc:
                self._failed(request, exc)
                return None
            finally:
                self._forget_request_key(request_id)

    def _forget_request_key(self, request_id: str) -> None:
        """Once a request has ended, destroy the key that sealed its identifier as given."""
        personal = self.ws.personal
        if not personal.enabled:
            return
        ended = self.ws.read(lambda con: requests.load(con, request_id))["status"]
        if ended in ("completed", "failed"):
            personal.destroy([requests.key_of(personal, request_id)])

    @contextmanager
    def _claim(self, request_id: str) -> Iterator[bool]:
        with self._running_lock:
            mine = request_id not in self._running
            self._running.add(request_id)
        try:
            yield mine
        finally:
            if mine:
                with self._running_lock:
                    self._running.discard(request_id)

    def _failed(self, request: dict[str, Any], exc: Exception) -> None:
        """After the database step: noted, left running (retried). Before: failed, and the
        caller gets an error that quotes nothing of the data."""
        request_id = request["request_id"]
        where = _where(exc)
        log.error("privacy request %s failed: %s", request_id, where,
                  extra={"error": type(exc).__name__})  # fmt: skip
        step = self.ws.read(lambda con: requests.load(con, request_id))["step"]
        if request["kind"] == "erasure" and step in AFTER_DATABASE:
            message = (f"{where}; the person's rows are deleted and suppressed, the rest is"
                       " retried by the scheduler and when the workspace opens")  # fmt: skip
            self.ws.write(lambda con: requests.note_error(con, request_id, message))
            return None
        self._fail(request, exc)
        raise requests.RequestFailed(
            f"privacy request {request_id} failed ({type(exc).__name__}); see the server log"
        ) from exc

    def _fail(self, request: dict[str, Any], exc: Exception) -> None:
        subject = request["subject"]
        digest = self.ws.suppression.hash(f"text:{subject}") if subject else None
        message = f"{_where(exc)}: the request could not be completed; see the logs"
        try:
            self.ws.write(lambda con: requests.fail(con, request["request_id"], message, digest,
                                                    _now()))  # fmt: skip
        except Exception:
            log.exception("recording a failed privacy request failed")

    # access ------------------------------------------------------------------------------
    def _access(self, request: dict[str, Any]) -> dict[str, Any]:
        ws, request_id = self.ws, request["request_id"]
        ws.profiles.catch_up()  # everything committed so far is resolved, server or not
        subject: Subject = ws.read(lambda con: find_subject(con, request["subject"] or ""))
        note_profiles(subject.profile_ids[: subject.live])
        hashes = subject.request_hashes(ws.suppression)
        digest = self._subject_hash(subject, request["subject"])
        ws.write(lambda con: requests.record_step(con, request_id, "resolved",
                                                  subject_hash=digest))  # fmt: skip
        now = _now()
        document: dict[str, Any] = ws.read(lambda con: access_document(
            con, subject, hashes, request_id=request_id, now=now))  # fmt: skip
        path = self._export_path(request_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(document))
        receipt = {"found": bool(subject.live), "profiles": subject.live,
                   "sections": section_sizes(document),
                   "export": str(path.relative_to(ws.settings.data_dir))}  # fmt: skip
        ws.write(lambda con: requests.complete(con, request_id, receipt, _now()))
        return document

    def _export_path(self, request_id: str) -> Path:
        return self.ws.settings.data_dir.joinpath(*files.EXPORTS, f"{request_id}.json")

    def _subject_hash(self, subject: Subject, text: str | None) -> str | None:
        if text is None:  # re-applied from the journal: the hashes are all there is
            return None
        if subject.found_by:
            return self.ws.suppression.hash(subject.found_by)
        return self.ws.suppression.hash(f"text:{(text or '').strip()}")

    # erasure -----------------------------------------------------------------------------
    def _erasure(self, request: dict[str, Any]) -> None:
        ws, request_id = self.ws, request["request_id"]
        if request["step"] in (None, "resolved"):
            request = ws.profiles.exclusive(lambda: self._erase_database(request))
        target = request["target"] or {}
        subject = Subject.from_json(target["subject"])
        receipt: dict[str, Any] = dict(request["receipt"] or {})
        if request["step"] == "database":
            if "live_graph" not in receipt:  # retried: forgetting failed the first time
                receipt["live_graph"] = ws.profiles.exclusive(lambda: self._forget(subject))
            started = time.perf_counter()
            plain = self._plain_identifiers(request_id, target.get("plain"))
            receipt.update(self._erase_copies(subject, target.get("exports", []), receipt,
                                              plain))  # fmt: skip
            receipt.setdefault("timing", {})["files"] = round(time.perf_counter() - started, 3)
            ws.write(lambda con: requests.record_step(con, request_id, "files", receipt=receipt))
            request["step"] = "files"
        if request["step"] == "files":
            receipt.update(self._run_hooks(subject))
        if request["step"] in ("files", "journal"):  # an erasure journalled by an older
            erased_at = datetime.fromisoformat(receipt["erased_at"])  # version: no-op
            append(ws.settings, JournalEntry(request_id, erased_at, tuple(target["hashes"])))
        receipt["completed_at"] = _now().isoformat()
        ws.write(lambda con: requests.complete(con, request_id, receipt, _now()))

    def _erase_database(self, request: dict[str, Any]) -> dict[str, Any]:
        """Step 1 (under the refresher's lock): everything in the database and the journal
        line, then the graph."""
        ws, request_id = self.ws, request["request_id"]
        started = time.perf_counter()
        ws.profiles.catch_up()  # what was committed before is resolved: links are complete
        journal_hashes: list[str] = (request["target"] or {}).get("journal_hashes", [])
        found: list[str] = []
        loose: list[tuple[str, str]] = []
        if journal_hashes:  # hashing every identifier is slow: outside the writer
            people = ws.read(lambda con: subjects_by_hashes(
                con, ws.suppression, journal_hashes, self._hash_index))  # fmt: skip
            found = [s.profile_ids[0] for s in people if s.live]
            loose = [i for s in people if not s.live for i in s.identifiers]

        def erase(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            if journal_hashes:
                subject = _union([subject_of_profile(con, p) for p in found]
                                 + [Subject([], loose)])  # fmt: skip
            else:
                subject = find_subject(con, request["subject"] or "")
            suppression = ws.suppression
            hashes = sorted(set(subject.hashes(suppression)) | set(journal_hashes))
            exports = _access_requests_of(con, subject.request_hashes(suppression))
            held = held_by_destinations(con, subject)
            personal = ws.personal  # the plaintexts, before erasure deletes the vault rows
            plain = [list(p) for p in plain_identifiers(con, personal, subject.identifiers)]
            deleted = erase_rows(con, subject) if subject else {"tables": {}}
            newly = store_hashes(con, hashes, request_id)
            suppression.add(hashes)  # every later write of the writer screens against them
            erased_at = _now()
            receipt = {
                "erased_at": erased_at.isoformat(),
                "found": bool(subject.live),
                "profiles": subject.live,
                "identifiers": _types(subject),
                **deleted,
                "destinations_to_notify": held,
                "suppressed_identifiers": len(hashes),
                "newly_suppressed": newly,
            }
            target = {"subject": subject.to_json(), "hashes": hashes, "exports": exports,
                      # what the files step matches in files (plaintext there): sealed under
                      # the request's own key, destroyed when the request ends
                      "plain": personal.seal(requests.key_of(personal, request_id), plain)
                      if personal.enabled else None}  # fmt: skip
            requests.record_step(con, request_id, "database", target=target, receipt=receipt,
                                 subject_hash=self._subject_hash(subject, request["subject"]))
            # Durable before the deletion commits (a journal replay is idempotent).
            append(ws.settings, JournalEntry(request_id, erased_at, tuple(hashes)))
            return {**request, "step": "database", "target": target, "receipt": receipt}

        try:
            done: dict[str, Any] = ws.write(erase)
        except Exception:
            ws.read(ws.suppression.load)  # nothing was committed: back to the stored set
            raise
        written = time.perf_counter()
        subject = Subject.from_json(done["target"]["subject"])
        note_profiles(subject.profile_ids[: subject.live])
        note_details(profiles_erased=subject.live)
        done["receipt"]["timing"] = {"database": round(written - started, 3)}
        done["receipt"]["live_graph"] = self._forget(subject)
        done["receipt"]["timing"]["live_graph"] = round(time.perf_counter() - written, 3)
        return done

    def _forget(self, subject: Subject) -> dict[str, int]:
        """Take them out of the live identity graph (idempotent)."""
        removed = self.ws.identity.forget(subject.profile_ids, subject.identifiers)
        return {"profiles": removed[0], "identifiers": removed[1]}

    def _plain_identifiers(self, request_id: str, sealed: Any) -> list[tuple[str, str]] | None:
        """The identifiers as typed that the database step kept for the files step (None
        when field encryption is off: the subject holds them as they are)."""
        if sealed is None:
            return None
        opened = self.ws.personal.open(sealed)
        return [(t, v) for t, v in opened] if isinstance(opened, list) else []

    def _erase_copies(
        self, subject: Subject, exports: list[str], receipt: dict[str, Any],
        plain: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Step 2: files, database destinations, stored exports (see the module)."""
        def destinations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, Any]]:
            return [(i, n, k, orjson.loads(c)) for i, n, k, c in con.execute(
                "SELECT destination_id, name, kind, config::VARCHAR FROM destinations"
                " ORDER BY name").fetchall()]  # fmt: skip

        data_dir = self.ws.settings.data_dir
        current = self.ws.read(destinations)
        remembered = files.remembered_folders(data_dir)
        marks = files.needles(subject if plain is None else Subject(subject.profile_ids, plain))
        changed: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        tables: list[dict[str, Any]] = []
        cleaned: set[str] = set()
        for name in sorted({n for _, n, _, _ in current} | {n for n, _, _ in remembered}):
            with GUARD.erasing(name):  # after its running sync, before its next one
                mine = [(n, k, c) for _, n, k, c in current if n == name]
                scrubbed, unreadable = files.scrub_destinations(
                    mine + [d for d in remembered if d[0] == name], marks)  # fmt: skip
                changed += scrubbed
                failed += unreadable
                for _, kind, config in mine:
                    if kind == "database" and subject.profile_ids:
                        result = _delete_rows(name, config, subject.profile_ids)
                        (tables if "rows_deleted" in result else failed).append(result)
                        cleaned |= {name} if "rows_deleted" in result else set()
        by_id = {i: n for i, n, _, _ in current}
        late = {by_id[i] for i in GUARD.late_deliveries(subject.profile_ids) if i in by_id}
        notify = set(receipt.get("destinations_to_notify", [])) | late
        deleted, undeletable = files.delete_exports(data_dir, exports)
        failed += undeletable
        out: dict[str, Any] = {
            "files": [{"destination": c["destination"], "file": c["file"],
                       "rows_removed": c["rows_removed"]} for c in changed],
            "files_failed": failed,
            "database_destinations": tables,
            "exports_deleted": deleted,
            "destinations_to_notify": sorted(notify - cleaned),
        }  # fmt: skip
        if late:
            out["delivered_during_erasure"] = sorted(late)
        return out

    def _destroy_keys(self, subject: Subject) -> dict[str, Any] | None:
        """Crypto-shred: destroy the data keys the database step chose (`privacy.shred`),
        so every copy of what they sealed, in any backup, reads `[erased]`. Idempotent."""
        if not subject.keys:
            return None
        self.ws.personal.destroy(subject.keys)
        return {"destroyed": len(subject.keys)}

    def _run_hooks(self, subject: Subject) -> dict[str, Any]:
        """The registered `after_erasure` hooks (a failure leaves the request running: they
        run again on the retry, so each must be idempotent)."""
        out: dict[str, Any] = {}
        for name, hook in self.after_erasure:
            done = hook(subject)
            if done is not None:
                out.setdefault("hooks", {})[name] = done
        return out


def _delete_rows(name: str, config: dict[str, Any], profile_ids: list[str]) -> dict[str, Any]:
    """Delete the person's rows from a database destination's table (its receipt line)."""
    try:
        return {"destination": name, "rows_deleted": delete_profiles(config, profile_ids)}
    except Exception as exc:  # unreachable, refused: listed, and the destination named
        return {"destination": name, "error": _where(exc)}


def _where(exc: BaseException) -> str:
    """The exception's type and where it was raised, never its message (parsers and drivers
    quote the data they choke on)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} in {Path(last.filename).name}:{last.lineno}"


def reapply(workspace: Workspace, entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """Erase again from journal entries (after a restore); one receipt per entry."""
    privacy: Privacy = workspace.privacy
    receipts: list[dict[str, Any]] = []
    if not entries:
        return receipts
    workspace.profiles.catch_up()  # the restored log resolved before its identifiers are hashed
    wanted = {h for entry in entries for h in entry.hashes}
    privacy._hash_index = workspace.read(
        lambda con: hash_index(con, workspace.suppression, wanted))
    try:
        receipts = [_reapply_one(workspace, privacy, entry) for entry in entries]
    finally:
        privacy._hash_index = None
    return receipts


def _reapply_one(workspace: Workspace, privacy: Privacy, entry: JournalEntry) -> dict[str, Any]:
    def create(con: duckdb.DuckDBPyConnection) -> None:
        # A request the restored database knows (it ran when the backup was taken) runs again.
        con.execute("DELETE FROM privacy_requests WHERE request_id = ?", [entry.request_id])
        requests.create(con, "erasure", None, entry.erased_at, origin="journal",
                        request_id=entry.request_id,
                        target={"journal_hashes": list(entry.hashes)})  # fmt: skip

    workspace.write(create)
    privacy.run(entry.request_id)
    return privacy.get(entry.request_id)


def _union(subjects: list[Subject]) -> Subject:
    """Several people as one subject: live profiles first, then the ids they absorbed."""
    live = [s.profile_ids[0] for s in subjects if s.live]
    rest = [p for s in subjects for p in s.profile_ids[s.live:] if p not in live]
    identifiers = {i for s in subjects for i in s.identifiers}
    return Subject(live + sorted(set(rest)), sorted(identifiers), live=len(live))


def _types(subject: Subject) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, _ in subject.identifiers:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _access_requests_of(con: duckdb.DuckDBPyConnection, hashes: set[str]) -> list[str]:
    rows = con.execute(
        "SELECT request_id FROM privacy_requests WHERE kind = 'access' AND subject_hash IN"
        " (SELECT unnest($h::VARCHAR[]))", {"h": sorted(hashes)},
    ).fetchall()  # fmt: skip
    return [row[0] for row in rows]
