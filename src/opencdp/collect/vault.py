"""The identifier vault as collection writes it: each new identifier's sealed plaintext, once.

With field encryption on, events keep only pseudonyms (`email:<22 chars>`); the plaintext of
each identifier is kept sealed in `identifier_values` so exports and destinations can get
back to it. Rows are sealed on the request thread (`collect/personal_fields.py`) and written
by the writer in the same transaction as the events that carry them, so an event's
identifiers can always be read back. Which identifiers were already written is remembered in
a bounded set: a returning visitor's identifiers are not sealed and inserted again on every
event. The table is append-only and duplicates are harmless (a burst before the first
commit, a restart that forgot the set), so the set only saves work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import duckdb
import pyarrow as pa

_SCHEMA = pa.schema([("identifier", pa.string()), ("token", pa.string())])
_INSERT = "INSERT INTO identifier_values (identifier, token) SELECT identifier, token FROM rows"
DEFAULT_MEMORY = 500_000  # identifiers remembered as written (~100 bytes each)

VaultRow = tuple[str, str]  # (stored identifier, sealed plaintext)


class IdentifierVault:
    """Which stored identifiers the vault holds, and the writer step that adds new ones."""

    def __init__(self, max_remembered: int = DEFAULT_MEMORY) -> None:
        self._written: set[str] = set()
        self._max = max_remembered
        self._lock = threading.Lock()

    def knows(self, stored: str) -> bool:
        """Whether `stored`'s plaintext is already in the vault (False when unsure)."""
        return stored in self._written

    def forget(self) -> None:
        """Forget what was written (an erasure may have deleted vault rows)."""
        with self._lock:
            self._written = set()

    def write(
        self, con: duckdb.DuckDBPyConnection, rows: Iterable[VaultRow]
    ) -> Callable[[], None] | None:
        """Insert the rows not known to be written; returns what to run after the commit
        (remembering them: a rolled-back transaction must not mark them written)."""
        fresh: dict[str, str] = {}
        for stored, token in rows:
            if stored not in self._written and stored not in fresh:
                fresh[stored] = token
        if not fresh:
            return None
        table = pa.table([list(fresh), list(fresh.values())], schema=_SCHEMA)
        con.register("rows", table)
        try:
            con.execute(_INSERT)
        finally:
            con.unregister("rows")

        def remember() -> None:
            with self._lock:
                if len(self._written) + len(fresh) > self._max:
                    self._written = set()  # bounded: forgetting only costs a duplicate row
                self._written.update(fresh)

        return remember
