"""Turn a batch of source rows into profile records, events and rejections — column-wise.

Each mapped column is cleaned whole (`cleaning.clean_column`); the rows are then assembled
in an in-memory DuckDB with one SQL statement per output, so no Python code runs per row.
The SQL is built from generated column aliases (`c0`, `v1`, `p1`) only; every name that
comes from the user (column names, trait names, the event name, the source id) is a bound
parameter. A fixed value keeps its original beside it; a row that cannot be used (no
usable identifier, an event without a time or name) is rejected with every reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.crypto.personal import PLAIN, PersonalData
from opencdp.keys import SEPARATOR
from opencdp.sources.cleaning import clean_column
from opencdp.sources.mapping import ColumnRule, Mapping
from opencdp.sources.sealing import BatchSealer, SealedBatch, is_personal, vault_table


@dataclass
class Prepared:
    """A batch ready for the writer: Arrow tables shaped like the stored rows."""

    records: pa.Table  # record_id, record_key, content_hash, identifiers, traits, original, fixes
    events: pa.Table  # message_id, message_key, user_id, event, timestamp, properties, context
    rejections: pa.Table  # row, reasons, original, identifiers (JSON), plain_identifiers
    # New identifiers' `identifier_values` rows (field encryption on): identifier, token.
    vault: pa.Table = field(default_factory=lambda: vault_table(()))

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


def _record_id_sql(
    params: _Params, rules: list[tuple[int, ColumnRule]], position: dict[str, int], keyed: bool
) -> str:
    """The user's record id column, trimmed; `rid-` + a keyed hash when that column holds
    personal data (an e-mail used as the id) and field encryption is on (R9)."""
    for _, rule in rules:
        if rule.role == "record_id":
            value = f"nullif(trim(c{position[rule.column]}), '')"
            if not keyed:
                return value
            return f"'rid-' || lpad(to_hex(md5_number_upper($salt || {value})), 16, '0')"
    return "NULL"


def _base_sql(
    params: _Params,
    names: list[str],
    position: dict[str, int],
    rules: list[tuple[int, ColumnRule]],
    fixed: list[int],
    keyed_rid: bool,
) -> str:
    """Per row, before anything is sealed: the original row as JSON text, the record id
    (`row-` + a hash of the original without one: keyed by `$salt` when on) and, per
    personal column in `fixed`, whether its fix is recorded (`f<index>`)."""
    raw = ", ".join(f"{params.bind(name)}, c{i}" for i, name in enumerate(names))
    flags = "".join(
        f", (p{i} IS NOT NULL OR (v{i}::VARCHAR IS DISTINCT FROM c{position[rule.column]}"
        f" AND v{i} IS NOT NULL)) AS f{i}"
        for i, rule in rules
        if i in fixed
    )
    return (
        "SELECT original, coalesce(rid, 'row-' || lpad(to_hex(md5_number_upper("
        "$salt || original)), 16, '0')) AS record_id" + "".join(
            f", f{i}" for i in fixed) +
        f" FROM (SELECT json_object({raw})::VARCHAR AS original,"
        f" {_record_id_sql(params, rules, position, keyed_rid)} AS rid{flags} FROM batch_table)"
    )  # fmt: skip


def _select_sql(
    params: _Params,
    mapping: Mapping,
    position: dict[str, int],
    rules: list[tuple[int, ColumnRule]],
    sealed: SealedBatch,
) -> str:
    """One row out per row in: the original row, objects as stored, record id, reasons.

    Values go out as `sealed` says (pseudonyms, tokens); conditions and the content hash's
    `plain_traits` read the plain cleaned values.
    """
    by_role: dict[str, list[tuple[str, str]]] = {"identifier": [], "trait": [], "event": []}
    plain_traits: list[tuple[str, str]] = []
    fixes: list[tuple[str, str]] = []
    problems: list[str] = []
    identifier_values: list[str] = []
    event_time = event_name = "NULL"
    for index, rule in rules:
        source = f"c{position[rule.column]}"
        if rule.role == "record_id":
            continue
        value, problem = f"v{index}", f"p{index}"
        stored = sealed.values.get(index, value)
        if rule.role == "event" and rule.name == "time":
            event_time = value
        elif rule.role == "event" and rule.name == "event":
            event_name = value
        elif rule.role == "consent":  # a consent trait the ledger records (privacy/ledger.py)
            by_role["trait"].append((rule.trait, _consent_value(params, value, rule)))
            plain_traits.append(by_role["trait"][-1])
        else:
            by_role[rule.role].append((rule.name, stored))
            if rule.role == "trait":
                plain_traits.append((rule.name, value))
        if rule.role == "identifier":
            identifier_values.append(value)
        if rule.role in ("identifier", "trait", "consent"):
            original, cleaned = sealed.fixes.get(index, (source, value))
            fixes.append((rule.column, (
                f"CASE WHEN {problem} IS NOT NULL"
                f" THEN json_object('original', {original}, 'problem', {problem})"
                f" WHEN {value}::VARCHAR IS DISTINCT FROM {source} AND {value} IS NOT NULL"
                f" THEN json_object('original', {original}, 'cleaned', {cleaned})"
                " END")))  # fmt: skip
        column = params.bind(rule.column + ": ")
        problems.append(f"CASE WHEN {problem} IS NOT NULL THEN {column} || {problem} END")
    mapped = {name for name, _ in by_role["trait"]}
    by_role["trait"] += [(n, c) for n, c in sealed.derived if n not in mapped]
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
    read_ids = ", ".join(
        f"{params.bind(rule.name + ':')} || v{index}::VARCHAR"
        for index, rule in rules
        if rule.role == "identifier"
    )
    external_ids = ", ".join(
        f"{{'type': {params.bind(name)}, 'id': {value}::VARCHAR}}"
        for name, value in by_role["identifier"]
    )
    # Tokens differ on every import: the content hash reads the plain traits instead.
    plain = _object(params, plain_traits) if sealed.values else "NULL::JSON"
    return (
        f"SELECT row_number, {sealed.original} AS original, original AS plain_original,"
        f" {_object(params, by_role['identifier'])} AS identifiers,"
        f" {_object(params, by_role['trait'])} AS traits, {plain} AS plain_traits,"
        f" {_object(params, by_role['event'])} AS properties,"
        f" {_object(params, fixes)} AS fixes,"
        f" list_filter([{external_ids}], lambda e: e.id IS NOT NULL) AS external_ids,"
        f" list_filter([{read_ids}], lambda x: x IS NOT NULL) AS plain_identifiers,"
        f" {event_time} AS event_time, {event_name} AS event_name, record_id,"
        f" list_filter([{', '.join(reasons)}], lambda x: x IS NOT NULL) AS unusable,"
        f" list_filter([{', '.join(problems) or 'NULL'}], lambda x: x IS NOT NULL) AS problems"
        " FROM batch_table"
    )  # fmt: skip


class BatchPreparer:
    """Prepares the batches of one import with one in-memory DuckDB (made once, not per batch).

    `personal` seals the batch's personal data here, on the importing thread, so the
    writer only stores it (`sources/sealing.py`); the default stores it as read.
    """

    def __init__(self, mapping: Mapping, source_id: str, personal: PersonalData = PLAIN) -> None:
        self.mapping = mapping
        self.source_id = source_id
        self.personal = personal
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")
        self._sealer = BatchSealer(personal, self._con)
        # Hashes of ids made from personal values are keyed when on (`record_key("")` is
        # a secret then, and '' when off, so plain directories keep their ids).
        self._salt = personal.record_key("")

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
        table = pa.table(columns)
        base = self._base(table, names, position, rules)
        sealed = self._sealer.seal_batch(table, rules, position, base)
        extra = dict(zip(base.column_names, base.columns, strict=True)) | sealed.columns
        for name, column in extra.items():
            table = table.append_column(name, column)
        con.register("batch_table", table)
        try:
            params = _Params()
            select = _select_sql(params, mapping, position, rules, sealed)
            con.execute(f"CREATE OR REPLACE TEMP TABLE cleaned AS {select}", params.values)
        finally:
            con.unregister("batch_table")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW usable AS SELECT * FROM cleaned WHERE len(unusable) = 0"
            " QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY row_number DESC) = 1"
        )
        return Prepared(
            _records(con, mapping, self.source_id, self._salt, bool(sealed.values)),
            _events(con, mapping, self.source_id, self.personal.enabled),
            self._rejections(),
            vault_table(sealed.vault),
        )

    def _base(
        self,
        table: pa.Table,
        names: list[str],
        position: dict[str, int],
        rules: list[tuple[int, ColumnRule]],
    ) -> pa.Table:
        """Original text, record id and fix flags of each row (`_base_sql`)."""
        personal = self.personal
        fixed = [i for i, r in rules if personal.enabled and is_personal(r, personal)
                 and r.role in ("identifier", "trait")]  # fmt: skip
        params = _Params()
        params.values["salt"] = self._salt
        sql = _base_sql(params, names, position, rules, fixed, self._keyed_rid(rules))
        self._con.register("batch_table", table)
        try:
            return self._con.sql(sql, params=params.values).to_arrow_table()
        finally:
            self._con.unregister("batch_table")

    def _keyed_rid(self, rules: list[tuple[int, ColumnRule]]) -> bool:
        """Whether the record id column is also mapped as an e-mail, phone or other
        personal column, so it must not be stored as it is (field encryption on)."""
        if not self.personal.enabled:
            return False
        column = self.mapping.record_id_column
        pii_ids = self.personal.schema.identifier_types

        def personal_value(rule: ColumnRule) -> bool:
            if rule.role == "identifier":
                return rule.name in pii_ids  # customer ids are pseudonyms people navigate by
            return rule.role != "record_id" and is_personal(rule, self.personal)

        return any(r.column == column and personal_value(r) for _, r in rules)

    def _rejections(self) -> pa.Table:
        """Refused rows: reasons, the original row (plain: the quarantine seals what it
        stores), identifiers as stored (screened against erased people) and as read."""
        return self._con.sql(
            "SELECT row_number AS row, list_concat(unusable, problems) AS reasons,"
            " plain_original AS original, identifiers::VARCHAR AS identifiers,"
            " plain_identifiers FROM cleaned WHERE len(unusable) > 0 ORDER BY row_number"
        ).to_arrow_table()


def prepare_batch(
    batch: pa.RecordBatch,
    mapping: Mapping,
    source_id: str,
    first_row: int,
    personal: PersonalData = PLAIN,
) -> Prepared:
    """One batch on its own (previews, replays, tests); imports reuse a `BatchPreparer`."""
    preparer = BatchPreparer(mapping, source_id, personal)
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


def _records(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, source_id: str, salt: str, sealed: bool
) -> pa.Table:
    if not mapping.yields_profiles:
        return _EMPTY_RECORDS.empty_table()
    # Over the plain traits (tokens change on every import) and keyed by the salt when on.
    traits = "plain_traits" if sealed else "traits"
    return (
        con.sql(
            "SELECT record_id, md5_number_upper($key || record_id) AS record_key,"
            " md5_number_upper($salt || coalesce(identifiers::VARCHAR, '') || chr(0)"
            f"   || coalesce({traits}::VARCHAR, '')) AS content_hash,"
            " identifiers::VARCHAR AS identifiers, traits::VARCHAR AS traits,"
            " original::VARCHAR AS original, fixes::VARCHAR AS fixes"
            " FROM usable WHERE identifiers IS NOT NULL OR traits IS NOT NULL",
            params={"key": source_id + SEPARATOR, "salt": salt},
        )
        .to_arrow_table()
        .cast(_EMPTY_RECORDS)
    )


def _events(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, source_id: str, hashed: bool
) -> pa.Table:
    """Events of the batch; identifiers are as stored, and `user_id` is the bare id as the
    collector stores it (the pseudonym without the blocked mark, when `hashed`)."""
    if not mapping.yields_events:
        return _EMPTY_EVENTS.empty_table()
    user_id = "coalesce(identifiers->>'customer_id', identifiers->>'user_id')"
    if hashed:
        user_id = f"ltrim({user_id}, '~')"
    return (
        con.sql(
            "SELECT record_id AS message_id, md5_number_upper(? || record_id) AS message_key,"
            f" {user_id} AS user_id,"
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
