"""Temporary tables of one linkage run in the caller's DuckDB connection, dropped afterwards.

The records may be a view in the caller's database, so the run works in that connection;
every table it makes has a random prefix (no clash with the user's or another run's) and is
quoted as an identifier wherever it appears in SQL.
"""

from __future__ import annotations

import uuid
from types import TracebackType

import duckdb
import pyarrow as pa


def quote_identifier(name: str) -> str:
    """`name` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


class Scratch:
    """Names and owns the temporary tables and registered Arrow views of one run."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._prefix = f"_opencdp_match_{uuid.uuid4().hex[:12]}_"
        self._tables: list[str] = []
        self._views: list[str] = []

    def table(self, role: str, select_sql: str, params: object = None) -> str:
        """Create a temporary table `AS select_sql`; return its quoted name."""
        name = self._prefix + role
        self.con.execute(f"CREATE TEMP TABLE {quote_identifier(name)} AS {select_sql}", params)
        self._tables.append(name)
        return quote_identifier(name)

    def arrow(self, role: str, data: pa.Table) -> str:
        """Register an Arrow table as a view; return its quoted name."""
        name = self._prefix + role
        self.con.register(name, data)
        self._views.append(name)
        return quote_identifier(name)

    def close(self) -> None:
        for name in reversed(self._tables):
            self.con.execute(f"DROP TABLE IF EXISTS {quote_identifier(name)}")
        for name in self._views:
            self.con.unregister(name)
        self._tables.clear()
        self._views.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
