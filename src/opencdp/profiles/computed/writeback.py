"""Collecting computed values and writing them into `profiles.computed` in one UPDATE.

Values of every trait being computed go to a temporary table `(profile_id, name, value
JSON)`; the write-back folds them into one JSON object per profile and merges it into the
profile's `computed` object (RFC 7396 merge patch): first a reset object sets each recomputed
trait to its default (0, [] — or removes it), then the new values are laid over, so values
of traits not being computed are kept and a profile that lost its last matching event loses
its value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb
from sqlglot import exp

from opencdp.profiles.computed.sql_parts import Params
from opencdp.profiles.computed.units import Unit

VALUES = "_ct_values"
IDS = "_ct_ids"
UNIT = "_ct_unit"

_WRITE = """
UPDATE profiles SET computed = json_merge_patch(coalesce(profiles.computed, '{{}}'::JSON),
                                                $reset::JSON, coalesce(v.obj, '{{}}'::JSON))
FROM (SELECT p.profile_id, o.obj FROM profiles AS p
      {join} (SELECT profile_id, json_group_object(name, value) AS obj
              FROM _ct_values GROUP BY profile_id) AS o ON o.profile_id = p.profile_id
      {only}) AS v
WHERE profiles.profile_id = v.profile_id
"""


def start(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {VALUES} (profile_id VARCHAR, name VARCHAR,"
                " value JSON)")  # fmt: skip


def set_profiles(con: duckdb.DuckDBPyConnection, profile_ids: Iterable[str]) -> int:
    """Remember the profiles a partial computation is restricted to; return how many."""
    ids = sorted(set(profile_ids))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {IDS} AS SELECT unnest($ids::VARCHAR[]) AS"
                " profile_id", {"ids": ids})  # fmt: skip
    return len(ids)


def collect(con: duckdb.DuckDBPyConnection, unit: Unit, params: Params, *,
            only_listed: bool) -> None:  # fmt: skip
    """Run a unit into the values table (and first/last positions into their table)."""
    sql = unit.select.sql("duckdb")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {UNIT} AS {sql}", params.values)
    restrict = f" AND profile_id IN (SELECT profile_id FROM {IDS})" if only_listed else ""
    for column in unit.columns:
        value = exp.to_identifier(column.value, quoted=True).sql("duckdb")
        con.execute(
            f"INSERT INTO {VALUES} SELECT profile_id, $name, to_json({value}) FROM {UNIT}"
            f" WHERE {value} IS NOT NULL", {"name": column.name},
        )  # fmt: skip
        if column.key is None:
            continue
        key = exp.to_identifier(column.key, quoted=True).sql("duckdb")
        con.execute(f"DELETE FROM computed_trait_positions WHERE name = $name{restrict}",
                    {"name": column.name})  # fmt: skip
        con.execute(
            f"INSERT INTO computed_trait_positions SELECT $name, profile_id,"
            f" struct_extract({key}, 1), struct_extract({key}, 2) FROM {UNIT}"
            f" WHERE {key} IS NOT NULL", {"name": column.name},
        )  # fmt: skip


def write(con: duckdb.DuckDBPyConnection, reset: dict[str, object], *, scope: str) -> int:
    """Merge the collected values into profiles: scope 'all' (every profile, defaults for
    those without values), 'listed' (the profiles of `set_profiles`) or 'values' (only
    profiles that have a collected value; no reset). Returns profiles updated."""
    join = "JOIN" if scope == "values" else "LEFT JOIN"
    only = f"WHERE p.profile_id IN (SELECT profile_id FROM {IDS})" if scope == "listed" else ""
    sql = _WRITE.format(join=join, only=only)
    row = con.execute(sql, {"reset": json.dumps(reset if scope != "values" else {})}).fetchone()
    return int(row[0]) if row else 0


def count_values(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM {VALUES}").fetchone()
    return int(row[0]) if row else 0
