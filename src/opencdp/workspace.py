"""A workspace: one data directory opened for writing, with its writer and services.

The server opens one for its lifetime; CLI commands open one for a single command when no
server runs. Both then use the same services, so behaviour never depends on which runs.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from opencdp.activate.access import Access
from opencdp.activate.egress import Egress
from opencdp.audit.log import AuditLog
from opencdp.audit.system import scheduled_syncs
from opencdp.collect.collector import Collector, IngestHandler, SourceKeys
from opencdp.collect.event_log import EventLog
from opencdp.config import Settings
from opencdp.crypto.mode import open_personal_data
from opencdp.crypto.personal import register, unregister
from opencdp.db import Writer, WriterSaturated, open_database
from opencdp.identity.resolver import IdentityResolver
from opencdp.identity.stitcher import IdentityStitcher
from opencdp.predict.schedule import refresh_job
from opencdp.privacy.expiry import expiry_job
from opencdp.privacy.retention import apply_policies
from opencdp.privacy.screening import batch_screener
from opencdp.privacy.service import Privacy
from opencdp.privacy.suppression import Suppression, record_drops
from opencdp.profiles.computed import register_builtins
from opencdp.profiles.computed_listener import ComputedTraitsFollower
from opencdp.profiles.event_order import compact
from opencdp.profiles.refresh import ProfileRefresher
from opencdp.schedule import Scheduler
from opencdp.segments.realtime import (
    profiles_listener,
    scheduled_evaluation,
    segment_listener,
)
from opencdp.sources.store import BatchToStore, SourceRecordStore, StoredCounts

T = TypeVar("T")
log = logging.getLogger(__name__)


class Workspace:
    """The open data directory: database, single writer, collector."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        con = open_database(
            settings.database_path,
            checkpoint_wal_bytes=settings.checkpoint_wal_bytes,
            memory_limit=settings.database_memory,
        )
        # Personal data sealed at rest (or passed through, in a plain-text directory);
        # code holding only a connection finds it with `crypto.personal.personal_data`.
        self.personal = open_personal_data(settings, con)
        register(settings.database_path, self.personal)
        self.event_log = EventLog(con, settings.dedupe_messages)
        self.writer = Writer(
            con, max_pending=settings.max_pending_events, max_commit=settings.max_commit_events
        )
        self.writer.before_commit.append(self.personal.persist_keys)
        self.source_keys = SourceKeys()
        self.source_keys.refresh(con)
        # Erased people's identifiers (keyed hashes): collection and imports drop them.
        self.suppression = Suppression.for_settings(settings)
        self.suppression.load(con)
        ingest = IngestHandler(self.event_log, self.suppression)
        self.collector = Collector(
            settings,
            self.source_keys,
            lambda payload, weight: self.writer.submit(ingest, payload, weight),
            self.suppression,
            personal=self.personal,
            vault=ingest.vault,
        )
        self._screen_batch = batch_screener(self.suppression)
        self.source_records = SourceRecordStore(
            self.event_log.reserve, self._screen_batch, record_drops
        )
        self.identity = IdentityResolver(self.read, self.write)
        self.profiles = ProfileRefresher(self.identity, self.write)
        self.computed_traits = ComputedTraitsFollower(
            self.write, on_recomputed=profiles_listener(self.write)
        )
        self.profiles.listeners += [self.computed_traits.on_profiles_changed,
                                    segment_listener(self.write)]  # fmt: skip
        traits = self.computed_traits
        self.schedule = Scheduler(settings.schedule_seconds, [
            ("computed_traits", lambda: self.profiles.exclusive(traits.scheduled)),
            ("predictions", refresh_job(self.read, self.write)),  # before segments read them
            ("segments", lambda: self.profiles.exclusive(
                lambda: scheduled_evaluation(self.write))),
            ("event_order", lambda: self.profiles.exclusive(lambda: self.write(compact))),
            ("consent_expiry", expiry_job(self.profiles, self.write)),
            ("destinations", lambda: scheduled_syncs(
                self.audit, Access(self.read, self.write, Egress.from_settings(settings)),
                _now())),
            ("retention", lambda: apply_policies(self, _now())),
            ("privacy", lambda: self.privacy.scheduled()),  # noqa: PLW0108 (made below)
        ])  # fmt: skip
        self._stitcher: IdentityStitcher | None = None
        # Who accessed what: entries buffered here, appended with the writer's next commit.
        self.audit = AuditLog(settings, self.writer, self.read)
        self.writer.start()
        self.write(register_builtins)
        self.privacy = Privacy(self)
        self.privacy.resume()  # requests a crash left running
        from opencdp.backup.pending import finish_restore  # here: backup imports workspace

        finish_restore(self)  # erasures a restore died before replaying, replayed first

    @property
    def stitching(self) -> bool:
        return self._stitcher is not None

    def start_stitching(self) -> None:
        """Resolve identities in real time (the server); one-shot commands call `catch_up`."""
        if self._stitcher is None:
            self._stitcher = IdentityStitcher(self.profiles, busy=lambda: self.writer.pending > 0)
            self.writer.after_commit.append(self._stitcher.notify)
            self._stitcher.start()
            self._stitcher.notify()  # resolve what is already in the log

    def submit_records(self, batch: BatchToStore) -> Future[StoredCounts]:
        """Hand an imported batch to the writer; the future resolves after its commit.

        An import is not a client that can retry later, so when live collection has
        filled the writer queue it waits its turn instead of failing.
        """
        batch = self._screen_batch(batch)  # on the importing thread, not the writer's
        delay = 0.01
        while True:
            try:
                return self.writer.submit(self.source_records, batch, weight=batch.weight)
            except WriterSaturated:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `fn` in a write transaction and wait for its commit."""
        result: T = self.writer.call(fn).result()
        return result

    def write_sources(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """A write that changes sources: the write-key cache is refreshed after it."""
        result = self.write(fn)
        reader = self.writer.reader()
        try:
            self.source_keys.refresh(reader)
        finally:
            reader.close()
        return result

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        reader = self.writer.reader()
        try:
            return fn(reader)
        finally:
            reader.close()

    def bring_current(self) -> None:
        """Everything derived up to the last commit, now (one-shot commands, before they
        answer; the server's stitcher does this continuously)."""
        self.profiles.exclusive(lambda: (self.profiles.catch_up(), self.computed_traits.settle()))

    def start_schedule(self) -> None:
        """Run the periodic jobs (the server); one-shot commands evaluate on demand."""
        self.schedule.start()

    def close(self) -> None:
        self.schedule.stop()
        if self._stitcher is not None:
            self._stitcher.stop()
            self._stitcher = None
        try:  # traits recomputed in batches must not be left stale by a restart
            self.profiles.exclusive(self.computed_traits.settle)
        except Exception:
            log.exception("settling computed traits at close failed")
        self.audit.close()  # entries still buffered are stored before the writer stops
        self.writer.stop()
        unregister(self.settings.database_path)
        self.personal.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _now() -> datetime:
    return datetime.now(UTC)


def admin_token(settings: Settings) -> str:
    """The admin API token: the configured one, or one generated once per data directory."""
    if settings.admin_token:
        return settings.admin_token
    path = settings.data_dir / "admin-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = "adm_" + secrets.token_urlsafe(32)
    _write_private(path, token + "\n")
    return token


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
