"""Helpers shared by the data-quality report modules: SQL macros, ratios, row dicts.

The report runs on a private cursor inside one read transaction, so its temporary tables
and macros (all named `quality_*`) are invisible to other connections and vanish with the
transaction.
"""

from __future__ import annotations

from typing import Any

import duckdb

from opencdp.crypto.personal import personal_data

# Ratios are rounded so the JSON stays readable; four places keep 0.01 % resolution.
DIGITS = 4
# How many masked examples the report shows per finding.
EXAMPLES = 3
# SQL condition keeping one source's rows when `$source` is bound, every source's when NULL.
IN_SCOPE = "(CAST($source AS VARCHAR) IS NULL OR source_id = $source)"

# `quality_member(doc, key)`: a JSON object's member as text, for *any* key. A JSON pointer
# (`/key`, with `~` and `/` escaped) never reads a key as a path, so trait names such as
# `a.b` or `$x` are safe; the key is always data, never SQL text.
# `quality_mask(value)`: `mask` in SQL, for values that are never sealed (record ids).
# `quality_tag(value)`: what equality compares. A sealed value (field encryption,
# `enc1:<subject>.<tag>.<sealed>`) is a new token on every write, so its equality tag
# stands for it; a token without a tag (free text) stays itself; a plain value is itself.
_MACROS = (
    "CREATE TEMP MACRO quality_member(doc, k) AS"
    " doc ->> ('/' || replace(replace(k, '~', '~0'), '/', '~1'))",
    "CREATE TEMP MACRO quality_mask(v) AS CASE WHEN v IS NOT NULL THEN"
    " left(v::VARCHAR, least(2, length(v::VARCHAR) // 2)) || '***' END",
    "CREATE TEMP MACRO quality_tag(v) AS CASE WHEN starts_with(v, 'enc1:')"
    " AND split_part(v, '.', 2) <> '' THEN 'tag:' || split_part(v, '.', 2) ELSE v END",
)


def install_macros(cur: duckdb.DuckDBPyConnection) -> None:
    """Create the report's SQL macros on its private cursor."""
    for statement in _MACROS:
        cur.execute(statement)


def mask(value: Any) -> str | None:
    """At most the first 2 characters, never more than half the value, then `***`, so a
    report can point at a record without repeating personal data."""
    if value is None:
        return None
    text = str(value)
    return text[: min(2, len(text) // 2)] + "***"


def opened(cur: duckdb.DuckDBPyConnection, values: list[Any]) -> list[Any]:
    """Values as their plaintext (sealed ones decrypted here, in Python, never in SQL)."""
    personal = personal_data(cur)
    personal.warm(v for v in values if isinstance(v, str))
    return [personal.open(v) for v in values]


def share(part: int, whole: int) -> float | None:
    """`part / whole` rounded; None when there is nothing to divide by."""
    return round(part / whole, DIGITS) if whole else None


def dicts(
    cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rows of a query as dicts keyed by column name (results here are always small)."""
    result = cur.execute(sql, params if params is not None else [])
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
