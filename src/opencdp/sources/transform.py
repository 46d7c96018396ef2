"""Turn a batch of source rows into profile records, events and rejections — column-wise.

Each mapped column is cleaned whole (`cleaning.clean_column`); the rows are then assembled
in an in-memory DuckDB with one SQL statement per output, so no Python code runs per row.
The SQL is built from generated column aliases (`c0`, `v1`, `p1`) only; every name that
comes from the user (column names, trait names, the event name, the source id) is a bound
parameter. A fixed value keeps its original beside it; a row that cannot be used (no
usable identifier, an event without a time or name) is rejected with every reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.keys import SEPARATOR
from opencdp.sources.cleaning import clean_column
from opencdp.sources.mapping import ColumnRule, Mapping


@dataclass
class Prepared:
    """A batch ready for the writer: Arrow tables shaped like the stored rows."""

    records: pa.Table  # record_id, record_key, content_hash, identifiers, traits, original, fixes
    events: pa.Table  # message_id, message_key, user_id, event, timestamp, properties, context
    rejections: pa.Table  # row, reasons (list), original, identifiers (cleaned, JSON)

    @property
    def weight(self) -> int:
        return max(1, int(self.records.num_rows + self.events.num_rows + self.rejections.num_rows))


def _resolve(mapping: Mapping, names: list[str]) -> dict[str, int]:
    """Mapped column → position in the batch (header case and spaces ignored)."""
    folded = {n.strip().lower(): i for i, n in enumerate(names)}
    return {r.column: folded[r.column.strip().lower()] for r in mapping.columns
            if r.column.strip().lower() in folded}  # fmt: skip


class _Params:
    """Named parameters of the statement being built (`$p0`, `$p1`, …), in any order."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def _object(params: _Params, items: list[tuple[str, str]]) -> str:
    """SQL for a JSON object of the non-null `(key, expression)` items, NULL when empty.

    json_merge_patch onto `{}` drops null members (RFC 7386), which is several times faster
    in DuckDB than filtering a list of entries into a map.
    """
    if not items:
        return "NULL::JSON"
    pairs = ", ".join(f"{params.bind(k)}, {v}" for k, v in items)
    return f"nullif(json_merge_patch('{{}}', json_object({pairs})), '{{}}'::JSON)"


def _consent_value(params: _Params, value: str, rule: ColumnRule) -> str:
    """The yes/no answer, or with the column's details an object the ledger reads:
    `{"granted": true, "legal_basis": "contract", "policy_version": "v3"}`."""
    if not rule.details:
        return value
    pairs = ", ".join(f"{params.bind(k)}, {params.bind(v)}" for k, v in rule.details)
    return f"CASE WHEN {value} IS NOT NULL THEN json_object('granted', {value}, {pairs}) END"


def _select_sql(
    params: _Params,
    mapping: Mapping,
    names: list[str],
    position: dict[str, int],
    rules: list[tuple[int, ColumnRule]],
) -> str:
    """One row out per row in: the original row, cleaned objects, record id, reasons."""
    raw = ", ".join(f"{params.bind(name)}, c{i}" for i, name in enumerate(names))
    by_role: dict[str, list[tuple[str, str]]] = {"identifier": [], "trait": [], "event": []}
    fixes: list[tuple[str, str]] = []
    problems: list[str] = []
    identifier_values: list[str] = []
    record_id = "NULL"
    event_time = event_name = "NULL"
    for index, rule in rules:
        source = f"c{position[rule.column]}"
        if rule.role == "record_id":
            record_id = f"nullif(trim({source}), '')"
            continue
        value, problem = f"v{index}", f"p{index}"
        if rule.role == "event" and rule.name == "time":
            event_time = value
        elif rule.role == "event" and rule.name == "event":
            event_name = value
        elif rule.role == "consent":  # a consent trait the ledger records (privacy/ledger.py)
            by_role["trait"].append((rule.trait, _consent_value(params, value, rule)))
        else:
            by_role[rule.role].append((rule.name, value))
        if rule.role == "identifier":
            identifier_values.append(value)
        if rule.role in ("identifier", "trait", "consent"):
            fixes.append((rule.column, (
                f"CASE WHEN {problem} IS NOT NULL"
                f" THEN json_object('original', {source}, 'problem', {problem})"
                f" WHEN {value}::VARCHAR IS DISTINCT FROM {source} AND {value} IS NOT NULL"
                f" THEN json_object('original', {source}, 'cleaned', {value}) END")))  # fmt: skip
        column = params.bind(rule.column + ": ")
        problems.append(f"CASE WHEN {problem} IS NOT NULL THEN {column} || {problem} END")
    has_identifier = " OR ".join(f"{v} IS NOT NULL" for v in identifier_values) or "false"
    wants_identity = bool(mapping.by_role("identifier"))
    reasons = [
        f"CASE WHEN NOT ({has_identifier}) THEN 'no usable identifier' END" if wants_identity
        else "NULL",
        f"CASE WHEN {event_time} IS NULL THEN 'event has no usable time' END"
        if mapping.yields_events else "NULL",
        f"CASE WHEN {event_name} IS NULL THEN 'event has no name' END"
        if mapping.yields_events and not mapping.event_name else "NULL",
    ]  # fmt: skip
    external_ids = ", ".join(
        f"{{'type': {params.bind(name)}, 'id': {value}::VARCHAR}}"
        for name, value in by_role["identifier"]
    )
    return (
        f"SELECT row_number, json_object({raw}) AS original,"
        f" {_object(params, by_role['identifier'])} AS identifiers,"
        f" {_object(params, by_role['trait'])} AS traits,"
        f" {_object(params, by_role['event'])} AS properties,"
        f" {_object(params, fixes)} AS fixes,"
        f" list_filter([{external_ids}], lambda e: e.id IS NOT NULL) AS external_ids,"
        f" {event_time} AS event_time, {event_name} AS event_name,"
        f" {record_id} AS rid,"
        f" list_filter([{', '.join(reasons)}], lambda x: x IS NOT NULL) AS unusable,"
        f" list_filter([{', '.join(problems) or 'NULL'}], lambda x: x IS NOT NULL) AS problems"
        " FROM batch_table"
    )  # fmt: skip


class BatchPreparer:
    """Prepares the batches of one import with one in-memory DuckDB (made once, not per batch)."""

    def __init__(self, mapping: Mapping, source_id: str) -> None:
        self.mapping = mapping
        self.source_id = source_id
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self._con.close()

    def prepare(self, batch: pa.RecordBatch, first_row: int) -> Prepared:
        """Clean and assemble one batch; `first_row` is the file row number of its first row."""
        mapping, con = self.mapping, self._con
        names = batch.schema.names
        position = _resolve(mapping, names)
        columns: dict[str, pa.Array] = {f"c{i}": batch.column(i) for i in range(len(names))}
        rules: list[tuple[int, ColumnRule]] = []
        for index, rule in enumerate(mapping.columns):
            if rule.role == "ignore" or rule.column not in position:
                continue
            if rule.role != "record_id":
                cleaned = clean_column(rule.kind, batch.column(position[rule.column]), mapping)
                columns[f"v{index}"] = cleaned.values
                columns[f"p{index}"] = cleaned.problems
            rules.append((index, rule))
        columns["row_number"] = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
        con.register("batch_table", pa.table(columns))
        try:
            params = _Params()
            select = _select_sql(params, mapping, names, position, rules)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE cleaned AS SELECT *, coalesce(rid, 'row-' ||"
                f" lpad(to_hex(md5_number_upper(original::VARCHAR)), 16, '0')) AS record_id"
                f" FROM ({select})",
                params.values,
            )
        finally:
            con.unregister("batch_table")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW usable AS SELECT * FROM cleaned WHERE len(unusable) = 0"
            " QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY row_number DESC) = 1"
        )
        return Prepared(
            _records(con, mapping, self.source_id),
            _events(con, mapping, self.source_id),
            con.sql(
                "SELECT row_number AS row, list_concat(unusable, problems) AS reasons, original,"
                " identifiers::VARCHAR AS identifiers"  # screened against erased people
                " FROM cleaned WHERE len(unusable) > 0 ORDER BY row_number"
            ).to_arrow_table(),
        )


def prepare_batch(
    batch: pa.RecordBatch, mapping: Mapping, source_id: str, first_row: int
) -> Prepared:
    """One batch on its own (previews, tests); imports reuse a `BatchPreparer`."""
    preparer = BatchPreparer(mapping, source_id)
    try:
        return preparer.prepare(batch, first_row)
    finally:
        preparer.close()


_EMPTY_RECORDS = pa.schema([
    ("record_id", pa.string()), ("record_key", pa.uint64()), ("content_hash", pa.uint64()),
    ("identifiers", pa.string()), ("traits", pa.string()), ("original", pa.string()),
    ("fixes", pa.string()),
])  # fmt: skip
_EMPTY_EVENTS = pa.schema([
    ("message_id", pa.string()), ("message_key", pa.uint64()), ("user_id", pa.string()),
    ("event", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC")),
    ("properties", pa.string()), ("context", pa.string()),
    ("identifiers", pa.list_(pa.string())),
])  # fmt: skip


def _records(con: duckdb.DuckDBPyConnection, mapping: Mapping, source_id: str) -> pa.Table:
    if not mapping.yields_profiles:
        return _EMPTY_RECORDS.empty_table()
    return (
        con.sql(
            "SELECT record_id, md5_number_upper(? || record_id) AS record_key,"
            " md5_number_upper(coalesce(identifiers::VARCHAR, '') || chr(0)"
            "   || coalesce(traits::VARCHAR, '')) AS content_hash,"
            " identifiers::VARCHAR AS identifiers, traits::VARCHAR AS traits,"
            " original::VARCHAR AS original, fixes::VARCHAR AS fixes"
            " FROM usable WHERE identifiers IS NOT NULL OR traits IS NOT NULL",
            params=[source_id + SEPARATOR],
        )
        .to_arrow_table()
        .cast(_EMPTY_RECORDS)
    )


def _events(con: duckdb.DuckDBPyConnection, mapping: Mapping, source_id: str) -> pa.Table:
    if not mapping.yields_events:
        return _EMPTY_EVENTS.empty_table()
    return (
        con.sql(
            "SELECT record_id AS message_id, md5_number_upper(? || record_id) AS message_key,"
            " coalesce(identifiers->>'customer_id', identifiers->>'user_id') AS user_id,"
            ' coalesce(event_name, ?) AS event, event_time AS "timestamp",'
            " properties::VARCHAR AS properties,"
            " to_json({'externalIds': external_ids})::VARCHAR AS context,"
            " nullif(list_transform(external_ids, lambda e: e.type || ':' || e.id), [])"
            " AS identifiers FROM usable",
            params=[source_id + SEPARATOR, mapping.event_name],
        )
        .to_arrow_table()
        .cast(_EMPTY_EVENTS)
    )
