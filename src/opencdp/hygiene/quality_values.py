"""The report's working tables: every field value and every hygiene fix, one row each.

Imported records keep identifiers and traits as JSON objects and their fixes keyed by the
*file column*; the report needs them per *field*. This module unnests them once into
temporary tables (`quality_record_values`, `quality_fixes`) that the figures are then
aggregated from, and resolves fix columns to fields through the mapping each import ran
with. Values are kept as 64-bit hashes: comparing and counting hashes is several times
faster than comparing text, and the value table then holds no personal data (only the
refused originals in `quality_fixes` do, and they leave DuckDB masked). A sealed value
(field encryption) is hashed by its equality tag (`quality_tag`), so the figures are the
same in both modes; identifiers are pseudonyms there, equal exactly when the values are.
"""

from __future__ import annotations

from typing import Any

import duckdb
import orjson

from opencdp.hygiene.quality_common import IN_SCOPE

# Where a field's values live: imported profile records or the event log.
RECORDS, EVENTS = "records", "events"
# The event-log columns reported as fields: field → (column, the events it is expected on).
EVENT_COLUMNS = {
    "userId": ("user_id", "true"), "anonymousId": ("anonymous_id", "true"),
    "event": ("event", "type = 'track'"), "timestamp": ('"timestamp"', "true"),
}  # fmt: skip


def _mapped_fields(document: Any) -> list[tuple[str, str, str]]:
    """(column, role, field) of the identifier and trait rules of one stored mapping."""
    # Imported here: `opencdp.sources.mapping` imports `opencdp.hygiene`, which may in
    # turn export this report; a module-level import would make that a cycle.
    from opencdp.sources.mapping import MappingError, parse_mapping

    if isinstance(document, str):
        document = orjson.loads(document)
    try:
        mapping = parse_mapping(document)
    except (MappingError, TypeError, ValueError):
        return []  # a mapping this version cannot read: its fix columns fall back to names
    return [(r.column, r.role, r.name) for r in mapping.columns
            if r.role in ("identifier", "trait")]  # fmt: skip


def load_mappings(cur: duckdb.DuckDBPyConnection, source_id: str | None) -> list[tuple[str, ...]]:
    """Register `quality_fix_columns` and return (source, role, field) of every mapped field.

    Only imports that still own stored records count, so a field dropped from a mapping
    does not linger in the report at 0 %.
    """
    rows = cur.execute(
        "SELECT import_id, source_id, mapping FROM imports WHERE mapping IS NOT NULL AND"
        f" {IN_SCOPE} AND import_id IN (SELECT DISTINCT import_id FROM source_records"
        f" WHERE {IN_SCOPE}) ORDER BY import_id",
        {"source": source_id},
    ).fetchall()
    columns = [(import_id, source, *rule) for import_id, source, mapping in rows
               for rule in _mapped_fields(mapping)]  # fmt: skip
    cur.execute(
        "CREATE TEMP TABLE quality_fix_columns AS SELECT unnest($i::VARCHAR[]) AS import_id,"
        " unnest($c::VARCHAR[]) AS column_name, unnest($r::VARCHAR[]) AS role,"
        " unnest($f::VARCHAR[]) AS field",
        {"i": [c[0] for c in columns], "c": [c[2] for c in columns],
         "r": [c[3] for c in columns], "f": [c[4] for c in columns]},
    )  # fmt: skip
    return sorted({(c[1], c[3], c[4]) for c in columns})


def link_column(index: int) -> str:
    """Column of `quality_record_values` holding the hash of the record's index-th link value."""
    return f"l{index}"


def _records_sql(links: list[str], filtered: bool) -> str:
    """Records in scope with the hashes of their link identifiers (`l0`, `l1`, …).

    A filtered report also takes the records of other sources that share a link value
    with the source: the consistency check compares against them.
    """
    extract = "".join(f", quality_member(identifiers, $link{i}) AS e{i}" for i in range(len(links)))
    hashes = "".join(
        f", CASE WHEN e{i} IS NOT NULL THEN hash(e{i}) END AS {link_column(i)}"
        for i in range(len(links))
    )
    records = (
        f"SELECT source_id, rid, identifiers, traits{hashes} FROM (SELECT source_id,"
        f" rowid AS rid, identifiers, traits{extract} FROM source_records)"
    )
    if not filtered:
        return records
    shared = "".join(
        f" OR {link_column(i)} IN (SELECT {link_column(i)} FROM linked WHERE source_id = $source)"
        for i in range(len(links))
    )
    return f"WITH linked AS ({records}) SELECT * FROM linked WHERE source_id = $source{shared}"


def build_record_values(
    cur: duckdb.DuckDBPyConnection, source_id: str | None, links: list[str]
) -> None:
    """`quality_record_values(source_id, rid, role, field, h, l0, …)`: one row per value.

    `rid` is the record's rowid (stable inside the report's transaction); `h` the value's
    hash; `l0`, `l1`, … the hashes of the record's values of the link identifiers, so the
    consistency check groups customers without a join. Only SQL names built from indices
    enter the text; identifier names are bound parameters.
    """
    carried = "".join(f", {link_column(i)}" for i in range(len(links)))
    params: dict[str, Any] = {f"link{i}": link for i, link in enumerate(links)}
    if source_id is not None:
        params["source"] = source_id
    cur.execute(
        "CREATE TEMP TABLE quality_record_values AS"
        f" WITH scoped AS ({_records_sql(links, source_id is not None)}),"
        " entries AS ("
        f"  SELECT source_id, rid, 'identifier' AS role, k AS field{carried},"
        "   quality_member(identifiers, k) AS value"
        "   FROM (SELECT *, unnest(json_keys(identifiers)) AS k FROM scoped)"
        "  UNION ALL"
        f"  SELECT source_id, rid, 'trait', k{carried}, quality_member(traits, k)"
        "   FROM (SELECT *, unnest(json_keys(traits)) AS k FROM scoped))"
        f" SELECT source_id, rid, role, field, hash(quality_tag(value)) AS h{carried} FROM entries"
        " WHERE value IS NOT NULL",
        params,
    )


def event_values_sql() -> str:
    """A query of `(source_id, rid, role, field, h)` over the event log, one row per value.

    `traits` count on identify messages only (elsewhere they describe a group or are
    absent); `event` on track messages only; the other columns and `context.traits` on all.
    """
    columns = " UNION ALL ".join(
        f"SELECT source_id, rid, 'event' AS role, '{name}' AS field, hash({column}) AS h"
        f" FROM scoped WHERE {column} IS NOT NULL AND {expected}"
        for name, (column, expected) in EVENT_COLUMNS.items()
    )
    nested = " UNION ALL ".join(
        f"SELECT source_id, rid, '{role}', '{prefix}.' || k,"
        f" hash(quality_tag(quality_member({doc}, k)))"
        f" FROM (SELECT source_id, rid, {doc}, unnest(json_keys({doc})) AS k FROM scoped"
        f" WHERE {where}) WHERE quality_member({doc}, k) IS NOT NULL"
        for role, prefix, doc, where in (
            ("trait", "traits", "traits", "type = 'identify'"),
            ("context_trait", "context.traits", "context_traits", "context_traits IS NOT NULL"),
        )
    )
    return (
        "WITH scoped AS (SELECT rowid AS rid, source_id, type, user_id, anonymous_id, event,"
        f" \"timestamp\", traits, context -> 'traits' AS context_traits FROM events"
        f" WHERE {IN_SCOPE}) {columns} UNION ALL {nested}"
    )


def _has_event_fixes(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the event log keeps hygiene fixes (a `fixes` column keyed like `traits.email`)."""
    found = cur.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main'"
        " AND table_name = 'events' AND column_name = 'fixes'"
    ).fetchall()
    return bool(found[0][0])


def build_fixes(cur: duckdb.DuckDBPyConnection, source_id: str | None) -> None:
    """`quality_fixes(source_id, origin, rid, role, field, problem, fixed, original)`.

    A record's fix is keyed by file column; the import's mapping names the field (both, if
    the column feeds two). Without a readable mapping the column name is taken as the field.
    """
    from opencdp.sources.mapping import IDENTIFIER_TYPES  # see `_mapped_fields`

    parts = [
        "SELECT f.source_id, 'records' AS origin, f.rid,"
        " coalesce(c.role, CASE WHEN list_contains($identifiers, f.k) THEN 'identifier'"
        " ELSE 'trait' END) AS role, coalesce(c.field, f.k) AS field, f.fix"
        " FROM (SELECT r.source_id, r.rowid AS rid, r.import_id, j.key AS k, j.value AS fix"
        f"  FROM source_records r, json_each(r.fixes) j WHERE r.fixes IS NOT NULL AND {IN_SCOPE}) f"
        " LEFT JOIN quality_fix_columns c ON c.import_id = f.import_id AND c.column_name = f.k"
    ]
    if _has_event_fixes(cur):
        parts.append(
            "SELECT e.source_id, 'events', e.rowid, CASE WHEN starts_with(j.key, 'traits.')"
            " THEN 'trait' WHEN starts_with(j.key, 'context.traits.') THEN 'context_trait'"
            " ELSE 'event' END, j.key, j.value FROM events e, json_each(e.fixes) j"
            f" WHERE e.fixes IS NOT NULL AND {IN_SCOPE}"
        )
    cur.execute(
        "CREATE TEMP TABLE quality_fixes AS SELECT source_id, origin, rid, role, field,"
        " fix ->> 'problem' AS problem, json_exists(fix, '$.cleaned') AS fixed,"
        f" fix ->> 'original' AS original FROM ({' UNION ALL '.join(parts)})",
        {"source": source_id, "identifiers": list(IDENTIFIER_TYPES)},
    )
