"""Read a CRM or shop database table or query, incrementally by a cursor column.

PostgreSQL (psycopg) and MySQL/MariaDB (PyMySQL) are read with server-side cursors, so a
large table streams in bounded memory. With a cursor column (`updated_at`, an id), only rows
at or after the last import's highest value are read; `>=` rather than `>` so rows sharing
the boundary value are never missed, and the idempotent store makes re-reading them free.
Table and column names are quoted as identifiers; values are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa

from opencdp.sources.readers import BATCH_ROWS


class DatabaseSourceError(ValueError):
    """The database cannot be read as asked; the message says why."""


@dataclass(frozen=True)
class DatabaseQuery:
    url: str
    table: str | None = None
    query: str | None = None
    cursor: str | None = None

    @property
    def location(self) -> str:
        """Where rows come from, without credentials (kept in the import history)."""
        parsed = urlparse(self.url)
        host = f"{parsed.hostname or ''}:{parsed.port}" if parsed.port else parsed.hostname or ""
        what = f"table {self.table}" if self.table else f"query {self.query}"
        return f"{parsed.scheme}://{host}{parsed.path} {what}"

    @property
    def dialect(self) -> str:
        scheme = urlparse(self.url).scheme.split("+")[0]
        if scheme in ("postgres", "postgresql"):
            return "postgresql"
        if scheme in ("mysql", "mariadb"):
            return "mysql"
        raise DatabaseSourceError(f"unsupported database URL scheme {scheme!r}")


def _quote(identifier: str, dialect: str) -> str:
    parts = identifier.split(".")
    if dialect == "mysql":
        return ".".join("`" + p.replace("`", "``") + "`" for p in parts)
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def build_sql(spec: DatabaseQuery, after: str | None) -> tuple[str, list[Any]]:
    """The SELECT to run and its parameters."""
    if bool(spec.table) == bool(spec.query):
        raise DatabaseSourceError("give exactly one of a table or a query")
    dialect = spec.dialect
    source = _quote(spec.table, dialect) if spec.table else f"({spec.query}) AS imported"
    sql = f"SELECT * FROM {source}"  # identifiers quoted; a query is the user's own
    params: list[Any] = []
    if spec.cursor:
        column = _quote(spec.cursor, dialect)
        if after is not None:
            sql += f" WHERE {column} >= %s"
            params.append(after)
        sql += f" ORDER BY {column}"
    return sql, params


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _connect(spec: DatabaseQuery) -> Any:
    parsed = urlparse(spec.url)
    if spec.dialect == "postgresql":
        import psycopg

        return psycopg.connect(spec.url.replace("postgresql+psycopg://", "postgresql://"))
    import pymysql

    return pymysql.connect(
        host=parsed.hostname or "127.0.0.1", port=parsed.port or 3306,
        user=unquote(parsed.username or "root"), password=unquote(parsed.password or ""),
        database=parsed.path.lstrip("/") or None, charset="utf8mb4",
        cursorclass=pymysql.cursors.SSCursor,
    )  # fmt: skip


def read_database(
    spec: DatabaseQuery, after: str | None, batch_rows: int = BATCH_ROWS
) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """Column names and string-typed batches of the rows to import."""
    sql, params = build_sql(spec, after)
    try:
        connection = _connect(spec)
    except Exception as exc:
        raise DatabaseSourceError(f"cannot connect to {spec.location}: {exc}") from None
    if spec.dialect == "postgresql":
        cursor = connection.cursor(name="opencdp_import")
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        first = cursor.fetchmany(batch_rows)
    except Exception as exc:
        connection.close()
        raise DatabaseSourceError(f"cannot read {spec.location}: {exc}") from None
    columns = [d[0] for d in cursor.description or []]

    def batches() -> Iterator[pa.RecordBatch]:
        rows = first
        try:
            while rows:
                yield pa.RecordBatch.from_pydict({
                    name: pa.array([_text(r[i]) for r in rows], pa.string())
                    for i, name in enumerate(columns)
                })  # fmt: skip
                rows = cursor.fetchmany(batch_rows)
        finally:
            cursor.close()
            connection.close()

    return columns, batches()
