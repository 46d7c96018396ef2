"""Reading and writing the workspace database from a sync that must not hold the writer.

A sync reads what to send, delivers it over the network or to files (slow), then records
what was delivered. In the server, reads run on a reader cursor and writes are queued to the
single writer thread (`workspace.read`, `workspace.write`); in tests and one-shot tools a
plain connection does both. `Access` is the pair of callables either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from opencdp.activate.egress import Egress

T = TypeVar("T")
Reader = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]


@dataclass(frozen=True)
class Access:
    """`read(fn)` runs fn(con) on a consistent snapshot; `write(fn)` in one transaction.
    `egress`: the folders and hosts the installation lets destinations use (the workspace's
    settings); None only for a plain connection (tests, tools delivering to their own)."""

    read: Reader
    write: Reader
    egress: Egress | None = None

    @classmethod
    def of(cls, source: Access | duckdb.DuckDBPyConnection) -> Access:
        if isinstance(source, Access):
            return source
        return cls(read=lambda fn: fn(source), write=lambda fn: _transaction(source, fn))


def _transaction(con: duckdb.DuckDBPyConnection, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    con.execute("BEGIN")
    try:
        result = fn(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result


def first(rows: list[Any]) -> Any | None:
    """The first row of a fully fetched result, or None. (Fetching everything rather than
    `fetchone()` leaves no open result to block the next statement on the connection.)"""
    return rows[0] if rows else None
