"""Keeping computed traits current as profiles change (before segments read them).

New events fold at once into the traits that can be updated in place (counts, sums, min,
max, first, last without a window), so segments on them are current per commit. Traits that
must be recomputed from a profile's history (windows, averages, RFM, rates) are recomputed
for the profiles touched since, at most every `settle_seconds`: under load that is one
recomputation for thousands of profiles instead of one per commit, which kept the writer
from collecting. Profiles that absorbed another, or changed only through imported records,
cannot be folded and are recomputed at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.profiles.computed import (
    apply_logged_events,
    compute_all,
    compute_for,
    expire_windows,
)
from opencdp.profiles.computed.catalog import load_definitions
from opencdp.profiles.materialize import ProfileChanges

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]


class ComputedTraitsFollower:
    def __init__(
        self,
        write: Write,
        settle_seconds: float = 5.0,
        on_recomputed: Callable[[list[str]], None] | None = None,
    ) -> None:
        self._write = write
        self._on_recomputed = on_recomputed  # segments re-evaluate the recomputed profiles
        self._settle = settle_seconds
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._settled_at = time.monotonic()

    def on_profiles_changed(self, changes: ProfileChanges) -> None:
        now = datetime.now(UTC)
        if changes.after == 0:  # a rebuild: every profile from scratch
            self._write(lambda con: compute_all(con, now=now))
            with self._lock:
                self._dirty.clear()
            return
        try:
            with_events: set[str] = self._write(lambda con: _fold_new_events(con, changes, now))
        except Exception:  # not folded: recompute those profiles whole at the next settle
            with self._lock:
                self._dirty.update(changes.touched)
            raise
        # Merged profiles and those changed only through records cannot be folded: now.
        whole = (set(changes.touched) - with_events) | set(changes.survivors)
        if whole:
            self._write(lambda con: _recompute(con, sorted(whole), now))
        with self._lock:
            self._dirty.update(with_events - whole)
            self._dirty.difference_update(changes.removed)
        if time.monotonic() - self._settled_at >= self._settle:
            self.settle()

    def settle(self) -> int:
        """Recompute the traits that cannot be folded, for every profile touched since.

        Called by the listener itself, by one-shot commands before they answer, and when the
        workspace closes; from another thread only through `ProfileRefresher.exclusive`, so
        it never lands between a commit and the fold of that commit's events (which would
        count them twice)."""
        with self._lock:
            dirty, self._dirty = sorted(self._dirty), set()
            self._settled_at = time.monotonic()
        if dirty:
            now = datetime.now(UTC)
            try:
                self._write(lambda con: _recompute(con, dirty, now))
            except Exception:
                with self._lock:
                    self._dirty.update(dirty)
                raise
            if self._on_recomputed is not None:
                self._on_recomputed(dirty)
        return len(dirty)

    def scheduled(self) -> None:
        """The periodic job (run under the refresher's lock): settle, then windows that
        moved past an event."""
        self.settle()
        now = datetime.now(UTC)
        self._write(lambda con: expire_windows(con, now=now))


def _fold_new_events(
    con: duckdb.DuckDBPyConnection, changes: ProfileChanges, now: datetime
) -> set[str]:
    """Fold the new events; returns the profiles they belong to."""
    done = apply_logged_events(con, changes.after, changes.through, now=now,
                               recompute_rest=False)  # fmt: skip
    return set(done["touched"])


def _recompute(con: duckdb.DuckDBPyConnection, profile_ids: list[str], now: datetime) -> None:
    # Folded traits of merged or record-only profiles are recomputed too: recomputing is
    # always right, folding is only right for new events on an unchanged profile.
    names = [name for name, _ in load_definitions(con)]
    if names:
        compute_for(con, profile_ids, now=now, names=names)
