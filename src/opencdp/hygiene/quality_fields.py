"""Per-field figures: completeness, validity (and fixes), uniqueness.

Every figure is an aggregation in DuckDB over the report's working tables; Python only
merges the few result rows (one per source and field) into plain dicts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from opencdp.crypto.personal import personal_data
from opencdp.hygiene.quality_common import IN_SCOPE, dicts, share
from opencdp.hygiene.quality_values import EVENT_COLUMNS, EVENTS, RECORDS, event_values_sql

FieldKey = tuple[str, str, str, str]  # source_id, origin, role, field
_ROLE_ORDER = {(RECORDS, "identifier"): 0, (RECORDS, "trait"): 1, (EVENTS, "event"): 0,
               (EVENTS, "trait"): 1, (EVENTS, "context_trait"): 2}  # fmt: skip
_EVENT_ORDER = {name: i for i, name in enumerate(EVENT_COLUMNS)}
# Members `crypto.personal.derived_members` adds when field encryption is on.
_DERIVED = frozenset({"email_domain", "birth_year"})
# Most frequent refusal reasons listed per field.
_PROBLEMS_PER_FIELD = 3


def _value_stats_sql(values: str) -> str:
    """Present, distinct and duplicated values per field of a `(…, field, h)` relation."""
    return (
        "WITH counted AS (SELECT source_id, role, field, h, count(*) AS c"
        f" FROM ({values}) GROUP BY ALL)"
        " SELECT source_id, role, field, sum(c)::BIGINT AS present,"
        " count(*) AS distinct_values, count(*) FILTER (WHERE c > 1) AS duplicated_values,"
        " coalesce(sum(c) FILTER (WHERE c > 1), 0)::BIGINT AS duplicated_records"
        " FROM counted GROUP BY ALL"
    )


def _value_stats(cur: duckdb.DuckDBPyConnection, source_id: str | None) -> dict[FieldKey, Any]:
    """Value figures of record fields and of event fields, keyed by field."""
    found: dict[FieldKey, Any] = {}
    for origin, values in (
        (RECORDS, f"SELECT * FROM quality_record_values WHERE {IN_SCOPE}"),
        (EVENTS, event_values_sql()),
    ):
        for row in dicts(cur, _value_stats_sql(values), {"source": source_id}):
            found[(row["source_id"], origin, row["role"], row["field"])] = row
    return found


def _fix_stats(cur: duckdb.DuckDBPyConnection) -> dict[FieldKey, Any]:
    """Refused and fixed values per field, with the most frequent refusal reasons."""
    found: dict[FieldKey, Any] = {}
    for row in dicts(
        cur,
        "SELECT source_id, origin, role, field,"
        " count(DISTINCT rid) FILTER (WHERE problem IS NOT NULL) AS refused,"
        " count(DISTINCT rid) FILTER (WHERE fixed AND problem IS NULL) AS fixed"
        " FROM quality_fixes GROUP BY ALL",
    ):
        found[(row["source_id"], row["origin"], row["role"], row["field"])] = row | {"problems": []}
    for row in dicts(
        cur,
        "SELECT source_id, origin, role, field, problem, count(*) AS count FROM quality_fixes"
        " WHERE problem IS NOT NULL GROUP BY source_id, origin, role, field, problem"
        " QUALIFY row_number() OVER (PARTITION BY source_id, origin, role, field"
        " ORDER BY count(*) DESC, problem) <= $n"
        " ORDER BY count DESC, problem",
        {"n": _PROBLEMS_PER_FIELD},
    ):
        key = (row["source_id"], row["origin"], row["role"], row["field"])
        found[key]["problems"].append({"problem": row["problem"], "count": row["count"]})
    return found


def _expected(counts: dict[str, int], origin: str, role: str, field: str) -> int:
    """How many records or events could carry the field: the completeness denominator."""
    if origin == RECORDS:
        return counts["records"]
    if role == "trait":
        return counts["identify_events"]
    return counts["track_events"] if field == "event" else counts["events"]


def field_figures(
    expected: int, values: dict[str, Any] | None, fixes: dict[str, Any] | None
) -> dict[str, Any]:
    """The figures of one field from its value counts and fix counts.

    present = stored (usable) values; refused = values hygiene refused (stored as null);
    completeness = present / expected; validity = present / (present + refused).
    """
    present = int(values["present"]) if values else 0
    refused = int(fixes["refused"]) if fixes else 0
    fixed = int(fixes["fixed"]) if fixes else 0
    distinct = int(values["distinct_values"]) if values else 0
    supplied = present + refused
    return {
        "expected": expected, "present": present, "refused": refused, "fixed": fixed,
        "missing": max(0, expected - supplied),
        "completeness": share(present, expected), "validity": share(present, supplied),
        "fixed_share": share(fixed, supplied), "distinct": distinct,
        "uniqueness": share(distinct, present),
        "duplicated_values": int(values["duplicated_values"]) if values else 0,
        "duplicated_records": int(values["duplicated_records"]) if values else 0,
        "problems": fixes["problems"] if fixes else [],
    }  # fmt: skip


def _sort_key(key: FieldKey) -> tuple[Any, ...]:
    _, origin, role, field = key
    return (origin != RECORDS, _ROLE_ORDER.get((origin, role), 9), _EVENT_ORDER.get(field, 0),
            field)  # fmt: skip


def _derived(key: FieldKey, mapped: list[tuple[str, ...]]) -> bool:
    """A plain member field encryption added beside a sealed value (`email_domain` of an
    e-mail), which no mapping names: not a field of the source, and not in plain mode."""
    source, _, role, field = key
    return field.rpartition(".")[2] in _DERIVED and (source, role, field) not in mapped


def fields_by_source(
    cur: duckdb.DuckDBPyConnection,
    source_id: str | None,
    counts: dict[str, dict[str, int]],
    mapped: list[tuple[str, ...]],
) -> dict[str, list[dict[str, Any]]]:
    """Every field of every source in `counts`, with its figures, records before events.

    A field is listed when it holds a value, was fixed or refused, is mapped by an import
    that still owns records, or is one of the event-log columns of a source with events;
    members derived for field encryption are not (`_derived`), so both modes list the same.
    """
    values, fixes = _value_stats(cur, source_id), _fix_stats(cur)
    keys = set(values) | set(fixes)
    if personal_data(cur).enabled:
        keys = {k for k in keys if not _derived(k, mapped)}
    keys |= {(source, RECORDS, role, field) for source, role, field in mapped}
    keys |= {(source, EVENTS, "event", name) for source, c in counts.items() if c["events"]
             for name in EVENT_COLUMNS}  # fmt: skip
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in sorted((k for k in keys if k[0] in counts), key=_sort_key):
        source, origin, role, field = key
        figures = field_figures(
            _expected(counts[source], origin, role, field), values.get(key), fixes.get(key)
        )
        found[source].append({"field": field, "origin": origin, "role": role, **figures})
    return found
