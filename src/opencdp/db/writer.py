"""The single writer: one thread owns the read-write connection and group-commits.

DuckDB commits one transaction at a time, and each commit costs a WAL sync; committing
every request alone caps ingestion at a few hundred requests per second. Requests instead
queue work here; the writer thread takes everything queued, applies it in one transaction
and commits once, then answers every request of that group. A request is acknowledged only
after the commit that holds its data returns, so an acknowledged event survives a crash.

Work is grouped by *handler*: every job names the handler object that applies it, and all
jobs of one handler in a group are applied together (the event log turns many requests'
events into one Arrow append). If a group fails, each job is retried in a transaction of its
own so one bad request cannot fail its neighbours.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

log = logging.getLogger(__name__)


class WriterSaturated(RuntimeError):
    """Too much work is already waiting; the caller should ask the client to retry later."""


class WriterStopped(RuntimeError):
    """The writer has shut down and takes no more work."""


class Handler(Protocol):
    """Applies a group of jobs inside the writer's open transaction."""

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Any]
    ) -> tuple[list[Any], Callable[[], None] | None]:
        """Write `payloads`; return one result per payload and an optional callback to run
        only once the transaction has committed (to publish in-memory state)."""
        ...


@dataclass(eq=False)
class _Job:
    handler: Handler
    payload: Any
    weight: int
    future: Future[Any] = field(default_factory=Future)


class CallHandler:
    """Runs plain functions `fn(con) -> result` in the writer's transaction."""

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Any]
    ) -> tuple[list[Any], Callable[[], None] | None]:
        return [fn(con) for fn in payloads], None


_STOP = object()


class Writer:
    """Owns `con`; all writes in the server process go through `submit`."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, *, max_pending: int, max_commit: int
    ) -> None:
        self._con = con
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._max_pending = max_pending
        self._max_commit = max_commit
        self._pending = 0
        self._lock = threading.Lock()
        self._stopped = False
        self._calls = CallHandler()
        self._thread = threading.Thread(target=self._loop, name="opencdp-writer", daemon=True)
        self.commits = 0
        # Called on the writer thread after each commit (e.g. to wake identity stitching).
        self.after_commit: list[Callable[[], None]] = []
        # Called on the writer thread just before each COMMIT: data keys made for values
        # sealed in this transaction are stored first, so no ciphertext outlives its key.
        self.before_commit: list[Callable[[], object]] = []

    def start(self) -> None:
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, handler: Handler, payload: Any, weight: int = 1) -> Future[Any]:
        """Queue one job; its future resolves after the commit that contains it."""
        with self._lock:
            if self._stopped:
                raise WriterStopped("the writer is shut down")
            if self._pending and self._pending + weight > self._max_pending:
                raise WriterSaturated(f"{self._pending} events already wait for the writer")
            self._pending += weight
        job = _Job(handler, payload, weight)
        self._queue.put(job)
        return job.future

    def call(self, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> Future[Any]:
        """Run `fn(con)` in a write transaction (for administrative writes)."""
        return self.submit(self._calls, fn)

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A connection for reads that does not wait for the writer (DuckDB MVCC)."""
        return self._con.cursor()

    def stop(self) -> None:
        """Finish queued work, then close the connection (checkpointing the WAL)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._queue.put(_STOP)
        self._thread.join()
        self._con.close()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs = [first]
            size = first.weight
            stop_after = False
            while size < self._max_commit:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop_after = True
                    break
                jobs.append(nxt)
                size += nxt.weight
            self._commit_group(jobs)
            with self._lock:
                self._pending -= size
            if stop_after:
                return

    def _commit_group(self, jobs: list[_Job]) -> None:
        try:
            results, callbacks = self._apply(jobs)
        except Exception as exc:
            if len(jobs) == 1:
                log.debug("write failed", extra={"error": type(exc).__name__})
                jobs[0].future.set_exception(exc)
                return
            for job in jobs:
                self._commit_group([job])
            return
        for callback in callbacks:
            callback()
        self.commits += 1
        for hook in self.after_commit:
            hook()
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _apply(self, jobs: list[_Job]) -> tuple[list[Any], list[Callable[[], None]]]:
        by_handler: dict[int, list[int]] = {}
        for index, job in enumerate(jobs):
            by_handler.setdefault(id(job.handler), []).append(index)
        results: list[Any] = [None] * len(jobs)
        callbacks: list[Callable[[], None]] = []
        self._con.execute("BEGIN TRANSACTION")
        try:
            for indexes in by_handler.values():
                handler = jobs[indexes[0]].handler
                out, callback = handler.apply(self._con, [jobs[i].payload for i in indexes])
                for i, result in zip(indexes, out, strict=True):
                    results[i] = result
                if callback is not None:
                    callbacks.append(callback)
            for hook in self.before_commit:
                hook()
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        return results, callbacks
