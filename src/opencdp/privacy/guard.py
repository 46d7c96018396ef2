"""Keeping work that read people before an erasure from writing them back after it.

Destination syncs and prediction jobs read, then work for seconds or minutes without the
writer (delivering, fitting), then write what they computed. An erasure committing in
between must not be undone by that write. Writes are serialised, so the write step itself
can tell exactly who is gone: a profile id that is not linked to an identifier, has no
golden record and is not recorded as absorbed by a merge (merged profiles keep their rows
until the next sync sends their exit) was erased meanwhile (`vanished`, `EXISTING`).

For destinations more is needed, because a sync's copy leaves the database: a file written
after the erasure rewrote the folder, a table row upserted after it, a webhook posted. So a
sync (or a dead-letter replay) of a destination and an erasure handling that destination's
copies never overlap (`GUARD`: the erasure waits for a sync in progress to finish and holds
new ones back meanwhile), and a sync's write step notes the erased people it delivered, so
the erasure names the destination in its receipt. Both run in the one process that owns the
database.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import duckdb
import pyarrow as pa

if TYPE_CHECKING:  # activate imports this module: its names only for types here
    from opencdp.activate.outcome import FailedBatch

P = ParamSpec("P")
R = TypeVar("R")

# Profile ids that still exist: linked to an identifier, with a golden record, or absorbed by
# a merge. Erasure deletes all three.
EXISTING = ("(SELECT profile_id FROM identity_links UNION ALL SELECT profile_id FROM profiles"
            " UNION ALL SELECT absorbed FROM identity_merges)")  # fmt: skip
_LATE_LIMIT = 100_000  # erased people noted as delivered late, at most (oldest forgotten)


def vanished(con: duckdb.DuckDBPyConnection, profile_ids: Iterable[str]) -> set[str]:
    """Of `profile_ids`, those erased since they were read (see the module docstring)."""
    ids = sorted(set(profile_ids))
    if not ids:
        return set()
    con.register("_guard_ids", pa.table({"profile_id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute(
            f"SELECT profile_id FROM _guard_ids ANTI JOIN {EXISTING} e USING (profile_id)"
        ).fetchall()
    finally:
        con.unregister("_guard_ids")
    return {row[0] for row in rows}


def without_members(batch: FailedBatch, gone: set[str]) -> FailedBatch | None:
    """A failed webhook batch without the erased members (None when nobody is left); the
    changed body gets a key derived from the old one, as an erasure's rewrite does."""
    from opencdp.privacy.erasure import derived_key, without_members_body

    kept = [c for c in batch.changes if c.profile_id not in gone]
    if len(kept) == len(batch.changes):
        return batch
    if not kept:
        return None
    body = without_members_body(batch.body, gone)
    return replace(batch, body=body, changes=kept,
                   idempotency_key=derived_key(batch.idempotency_key, body))  # fmt: skip


class DestinationGuard:
    """Deliveries (syncs, replays) of a destination and erasures handling its copies, one
    kind at a time per destination name; erased people delivered late, per destination."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._delivering: dict[str, int] = {}
        self._syncing: set[str] = set()
        self._erasing: set[str] = set()
        self._waiting: dict[str, int] = {}  # erasures waiting for deliveries to finish
        self._late: dict[str, set[str]] = {}  # profile id → destination ids

    @contextmanager
    def delivering(self, name: str, *, sync: bool) -> Iterator[None]:
        """While a sync (one at a time: another raises SyncInProgress) or a replay of `name`
        runs; waits first for an erasure handling it, or waiting to."""
        with self._cond:
            while name in self._erasing or self._waiting.get(name):
                self._cond.wait()
            if sync and name in self._syncing:
                from opencdp.activate.errors import SyncInProgress

                raise SyncInProgress(f"a sync of destination {name!r} is still running")
            self._delivering[name] = self._delivering.get(name, 0) + 1
            if sync:
                self._syncing.add(name)
        try:
            yield
        finally:
            with self._cond:
                self._delivering[name] -= 1
                if sync:
                    self._syncing.discard(name)
                self._cond.notify_all()

    @contextmanager
    def erasing(self, name: str) -> Iterator[None]:
        """While an erasure handles `name`'s copies: after every delivery in progress has
        recorded what it sent, and with new ones held back."""
        with self._cond:
            self._waiting[name] = self._waiting.get(name, 0) + 1
            try:
                while self._delivering.get(name) or name in self._erasing:
                    self._cond.wait()
            finally:
                self._waiting[name] -= 1
            self._erasing.add(name)
        try:
            yield
        finally:
            with self._cond:
                self._erasing.discard(name)
                self._cond.notify_all()

    def delivered_late(self, destination_id: str, profile_ids: Iterable[str]) -> None:
        """A delivery sent these people after they were erased (its write step found them
        gone): their erasure names the destination."""
        with self._cond:
            for profile_id in profile_ids:
                self._late.setdefault(profile_id, set()).add(destination_id)
                self._late[profile_id] = self._late.pop(profile_id)  # newest last
            while len(self._late) > _LATE_LIMIT:
                self._late.pop(next(iter(self._late)))

    def late_deliveries(self, profile_ids: Iterable[str]) -> set[str]:
        """Destination ids that were sent these (erased) people late; forgotten after."""
        with self._cond:
            found: set[str] = set()
            for profile_id in profile_ids:
                found |= self._late.pop(profile_id, set())
            return found


GUARD = DestinationGuard()


def one_delivery_at_a_time(*, sync: bool) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a delivery function `(source, name, ...)` inside `GUARD.delivering(name)`."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            name: Any = args[1] if len(args) > 1 else kwargs["name"]
            with GUARD.delivering(str(name), sync=sync):
                return fn(*args, **kwargs)

        return run

    return decorate
