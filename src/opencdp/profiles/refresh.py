"""Keeping everything derived from identities current, in one order.

Identity resolution catches up first and the profile tables follow it to the same seq in the
same transaction, so a reader never sees links without the events placed by them; then
every listener (computed traits, real-time segments) gets the profiles that changed. The
server's stitcher thread, one-shot CLI commands and the scheduler's jobs all go through one
lock here, so a scheduled recomputation never lands between a commit and its listeners.
`rebuild` replays identities and derives the profile tables from scratch in one write.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb

from opencdp.identity.resolver import IdentityResolver
from opencdp.profiles import materialize
from opencdp.profiles.materialize import ProfileChanges

log = logging.getLogger(__name__)

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]
Listener = Callable[[ProfileChanges], None]
T = TypeVar("T")


class ProfileRefresher:
    def __init__(self, identity: IdentityResolver, write: Write) -> None:
        self.identity = identity
        self._write = write
        self._lock = threading.RLock()
        self.listeners: list[Listener] = []

    def catch_up(self) -> ProfileChanges:
        """Resolve what was committed and bring the profile tables up to it in the same
        transaction; then tell the listeners."""
        with self._lock:
            return self._catch_up(reset=False)

    def rebuild(self) -> int:
        """Replay identities from the whole log and derive the profiles again."""
        with self._lock:
            observed = self.identity.rebuild()
            self._catch_up(reset=True)
            return observed

    def unmerge(self, origin: str) -> int:
        with self._lock:
            observed = self.identity.unmerge(origin)
            self._catch_up(reset=True)
            return observed

    def rederive(self) -> ProfileChanges:
        """Derive the profile tables from scratch (identity tables as they are), in one
        write: readers see the old tables until the new ones are complete."""
        with self._lock:
            return self._catch_up(reset=True)

    def exclusive(self, fn: Callable[[], T]) -> T:
        """Run `fn` with no catch-up in progress (for scheduled recomputations)."""
        with self._lock:
            return fn()

    def _catch_up(self, *, reset: bool) -> ProfileChanges:
        done: list[ProfileChanges] = []

        def follow(con: duckdb.DuckDBPyConnection, through: int) -> None:
            if reset:
                materialize.reset(con)
            done.append(materialize.catch_up(con, through))

        observed = self.identity.catch_up(then=follow, always=reset).observed
        through = self.identity.resolved_through
        changes = done[0] if done else ProfileChanges(through, through)
        changes.observed = observed
        self._notify(changes)
        return changes

    def _notify(self, changes: ProfileChanges) -> None:
        if not (changes.touched or changes.removed):
            return
        for listener in self.listeners:
            try:
                listener(changes)
            except Exception:  # one failing listener must not starve the others
                log.exception("profile listener failed", extra={"listener": repr(listener)})
