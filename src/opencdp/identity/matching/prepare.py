"""Turning the caller's person records into one match-ready table of derived keys.

The input's columns are picked by name in Arrow (never pasted into SQL); text is folded in
Python (`normalise.py`), and the derived forms every comparison and blocking rule reads —
name tokens in both orders, date digits, phone digits, e-mail local part, name frequency —
are computed once here in DuckDB, with `rid`, a dense integer ordered like `record_id`.
"""

from __future__ import annotations

from typing import TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from opencdp.identity.matching.normalise import fold_column
from opencdp.identity.matching.scratch import Scratch
from opencdp.identity.matching.settings import FIELDS, MatchSettings

Records: TypeAlias = "pa.Table | duckdb.DuckDBPyRelation | str"
"""Person records: an Arrow table, a DuckDB relation, or the name of a table or view."""

_FOLDED = frozenset({"first_name", "last_name", "full_name", "city", "address", "gender"})


class InvalidRecords(ValueError):
    """The records lack `record_id`, or repeat one: pairs would be ambiguous."""


def records_table(con: duckdb.DuckDBPyConnection, records: Records, settings: MatchSettings
                  ) -> pa.Table:  # fmt: skip
    """The input as Arrow with the canonical column names, absent fields as nulls."""
    wanted = {name: settings.column(name) for name in ("record_id", "source", *FIELDS)}
    if isinstance(records, str):
        records = con.table(records)
    if isinstance(records, duckdb.DuckDBPyRelation):
        present = [c for c in wanted.values() if c in records.columns]
        records = records.select(*(duckdb.ColumnExpression(c) for c in present)).to_arrow_table()
    if wanted["record_id"] not in records.column_names:
        raise InvalidRecords(f"records need a {wanted['record_id']!r} column")
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name, column in wanted.items():
        if column not in records.column_names:
            columns[name] = pa.nulls(records.num_rows, pa.string())
        elif name in _FOLDED:
            columns[name] = fold_column(records[column])
        elif name == "birth_date":
            columns[name] = records[column]
        else:
            columns[name] = pc.cast(records[column], pa.string())
    return pa.table(columns)


_PREPARE = """
WITH base AS (
  SELECT record_id::VARCHAR AS record_id, coalesce(source::VARCHAR, '') AS source,
    nullif(string_split(trim(coalesce(full_name, concat_ws(' ', first_name, last_name))),
                        ' '), ['']) AS nm_tokens,
    TRY_CAST(birth_date AS DATE) AS birth_date,
    nullif(lower(trim(email)), '') AS email,
    nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '') AS phone,
    nullif(upper(regexp_replace(postcode, '[^0-9A-Za-z]', '', 'g')), '') AS postcode,
    city, address, gender
  FROM {source}
)
SELECT (row_number() OVER (ORDER BY record_id) - 1)::INTEGER AS rid, * EXCLUDE (nm_tokens),
  nm_tokens,
  array_to_string(nm_tokens, '') AS nm_fwd,
  array_to_string(list_reverse(nm_tokens), '') AS nm_rev,
  array_to_string(list_sort(nm_tokens), '') AS nm_sorted,
  count(*) OVER (PARTITION BY array_to_string(list_sort(nm_tokens), ''))
    / greatest(count(nm_tokens) OVER (), 1) AS nm_tf,
  strftime(birth_date, '%Y%m%d') AS bd_digits,
  CASE WHEN contains(email, '@') THEN nullif(split_part(email, '@', 1), '') END AS email_local
FROM base
"""


def prepare_records(
    con: duckdb.DuckDBPyConnection, scratch: Scratch, records: Records, settings: MatchSettings
) -> tuple[str, int]:
    """Create the match-ready table; return its quoted name and the record count."""
    table = records_table(con, records, settings)
    if pc.count(table["record_id"]).as_py() != table.num_rows:
        raise InvalidRecords("record_id must not be empty")
    if pc.count_distinct(table["record_id"]).as_py() != table.num_rows:
        raise InvalidRecords("record_id must be unique")
    source = scratch.arrow("input", table)
    prepared = scratch.table("records", _PREPARE.format(source=source))
    return prepared, table.num_rows
