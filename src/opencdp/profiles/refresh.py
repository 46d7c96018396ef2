"""Keeping everything derived from identities current, in one order.

Identity resolution catches up first; then the profile tables follow it to the same seq;
then every listener (computed traits, real-time segments) gets the profiles that changed.
The server's stitcher thread and one-shot CLI commands both call `catch_up`, so the order
never differs; `rebuild` replays identities and derives the profile tables from scratch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import duckdb

from opencdp.identity.resolver import IdentityResolver
from opencdp.profiles import materialize
from opencdp.profiles.materialize import ProfileChanges

log = logging.getLogger(__name__)

Write = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]
Listener = Callable[[ProfileChanges], None]


class ProfileRefresher:
    def __init__(self, identity: IdentityResolver, write: Write) -> None:
        self.identity = identity
        self._write = write
        self.listeners: list[Listener] = []

    def catch_up(self) -> ProfileChanges:
        """Resolve what was committed and bring the profile tables up to it in the same
        transaction; then tell the listeners."""
        done: list[ProfileChanges] = []
        observed = self.identity.catch_up(
            then=lambda con, through: done.append(materialize.catch_up(con, through))
        ).observed
        changes = done[0]
        changes.observed = observed
        self._notify(changes)
        return changes

    def rebuild(self) -> int:
        """Replay identities from the whole log and derive the profiles again."""
        observed = self.identity.rebuild()
        self.rederive()
        return observed

    def unmerge(self, origin: str) -> int:
        observed = self.identity.unmerge(origin)
        self.rederive()
        return observed

    def rederive(self) -> ProfileChanges:
        """Derive the profile tables from scratch (identity tables as they are)."""
        self._write(materialize.reset)
        return self._follow()

    def _follow(self) -> ProfileChanges:
        through = self.identity.resolved_through
        changes: ProfileChanges = self._write(lambda con: materialize.catch_up(con, through))
        self._notify(changes)
        return changes

    def _notify(self, changes: ProfileChanges) -> None:
        if changes.touched or changes.removed:
            for listener in self.listeners:
                listener(changes)
