"""Candidate pairs: only records that agree on some blocking key are compared at all.

Comparing every pair of a million records is 5·10¹¹ comparisons; blocking keeps those that
share a birth date, a phone ending, an e-mail local part, a postcode and name initial …
Each rule becomes a keyed table and a self-join in DuckDB; the union is deduplicated and
remembers which rules found each pair (`rule_mask`, bit i = rule i), which training needs.
Block sizes are counted before any join, so a rule that would explode is refused early.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from opencdp.identity.matching.scratch import Scratch
from opencdp.identity.matching.settings import BlockingKey, BlockingRule, MatchSettings

_COLUMN = {"name": "nm_sorted"}
# Each word with the initial of another ("smith j", "john s": either may be the family
# name), plus the whole name run together in both orders, so 山田太郎 written without a
# space meets 山田 / 太郎.
_WORD_AND_INITIAL = (
    "list_distinct(list_concat(flatten(list_transform(nm_tokens, lambda a: list_transform("
    "list_filter(nm_tokens, lambda b: b <> a), lambda b: a || ' ' || left(b, 1)))),"
    " [nm_fwd, nm_rev]))"
)
_LISTS = {
    "name_initials": "list_distinct(list_transform(nm_tokens, lambda x: left(x, 1)))",
    "name_token_initial": _WORD_AND_INITIAL,
}  # fmt: skip
_KNOWN_FIELDS = frozenset({"name", "birth_date", "email", "phone", "postcode", "city",
                           "address", "gender"})  # fmt: skip


class TooManyPairs(ValueError):
    """The blocking rules would produce more candidate pairs than `max_pairs` allows."""


@dataclass(frozen=True)
class RuleReport:
    """What one blocking rule contributed (before deduplication across rules)."""

    rule: str
    pairs: int
    skipped_blocks: int
    """Key values shared by more than `max_block_size` records, left out."""
    skipped_records: int
    """Records in those blocks (a record counts once per name key it had there)."""


def key_expression(key: BlockingKey, index: int, params: dict[str, object]) -> str:
    """SQL for one key over the prepared records; lengths are bound parameters."""
    if key.field not in _KNOWN_FIELDS:
        raise ValueError(f"cannot block on unknown field {key.field!r}")
    if key.transform in _LISTS:
        if key.field != "name":
            raise ValueError(f"{key.transform} applies to the name field only")
        return _LISTS[key.transform]
    column = _COLUMN.get(key.field, key.field)
    if key.transform == "exact":
        return column if key.field != "birth_date" else "bd_digits"
    if key.transform == "local_part":
        if key.field != "email":
            raise ValueError("local_part applies to the email field only")
        return "email_local"
    params[f"len{index}"] = key.length
    function = "left" if key.transform == "prefix" else "right"
    return f"nullif({function}({column}::VARCHAR, $len{index}), '')"


def _keyed_sql(rule: BlockingRule, records: str, params: dict[str, object],
               across: bool) -> tuple[str, int]:  # fmt: skip
    """One row per record and key value (list keys hold distinct values, and a rule has at
    most one), with its block's size and the record's own source's share of it (1 when
    pairing within sources too), for counting before joining."""
    exprs = []
    for i, key in enumerate(rule.keys):
        expr = key_expression(key, i, params)
        exprs.append(f"unnest({expr}) AS k{i}" if key.transform in _LISTS else f"{expr} AS k{i}")
    keys = ", ".join(f"k{i}" for i in range(len(rule.keys)))
    same_source = f"count(*) OVER (PARTITION BY {keys}, source)" if across else "1"
    sql = (
        f"SELECT *, count(*) OVER (PARTITION BY {keys}) AS block_size,"
        f" {same_source} AS same_source FROM ("
        f" SELECT rid, source, {', '.join(exprs)} FROM {records})"
        f" WHERE {' AND '.join(f'k{i} IS NOT NULL' for i in range(len(rule.keys)))}"
    )
    return sql, len(rule.keys)


def _rule_report(con: duckdb.DuckDBPyConnection, rule: BlockingRule, keyed: str,
                 settings: MatchSettings) -> RuleReport:  # fmt: skip
    """Pairs a rule proposes: each record pairs with its block minus its own source's
    records (or minus itself); every pair is counted from both ends, hence the halving."""
    row = con.execute(
        "SELECT coalesce(sum(block_size - same_source) FILTER (block_size <= $max), 0) // 2,"
        " round(coalesce(sum(1.0 / block_size) FILTER (block_size > $max), 0)),"
        f" count(*) FILTER (block_size > $max) FROM {keyed}",
        {"max": settings.max_block_size},
    ).fetchall()[0]
    return RuleReport(rule.name, int(row[0]), int(row[1]), int(row[2]))


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, scratch: Scratch, records: str, settings: MatchSettings
) -> tuple[str, tuple[RuleReport, ...]]:
    """Create the deduplicated pair table (rid_l < rid_r, rule_mask); return it and reports."""
    if len(settings.blocking_rules) > 62:
        raise ValueError("at most 62 blocking rules")
    joins, reports = [], []
    for index, rule in enumerate(settings.blocking_rules):
        params: dict[str, object] = {}
        sql, width = _keyed_sql(rule, records, params, settings.link_only_across_sources)
        keyed = scratch.table(f"keys{index}", sql, params)
        reports.append(_rule_report(con, rule, keyed, settings))
        on = " AND ".join(f"l.k{i} = r.k{i}" for i in range(width))
        across = " AND l.source <> r.source" if settings.link_only_across_sources else ""
        joins.append(
            f"SELECT l.rid AS rid_l, r.rid AS rid_r, {1 << index}::BIGINT AS bit FROM {keyed} l"
            f" JOIN {keyed} r ON {on} AND l.rid < r.rid{across}"
            f" WHERE l.block_size <= $max AND r.block_size <= $max"
        )
    total = sum(r.pairs for r in reports)
    if total > settings.max_pairs:
        detail = ", ".join(f"{r.rule}: {r.pairs:,}" for r in reports)
        raise TooManyPairs(f"{total:,} candidate pairs exceed max_pairs ({detail})")
    union = " UNION ALL ".join(joins)
    pairs = scratch.table(
        "pairs",
        f"SELECT rid_l, rid_r, bit_or(bit) AS rule_mask FROM ({union}) GROUP BY rid_l, rid_r",
        {"max": settings.max_block_size},
    )
    return pairs, tuple(reports)
