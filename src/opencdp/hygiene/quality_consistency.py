"""Consistency across sources: one customer, several sources, disagreeing values.

A *customer* here is an identifier value (an e-mail address, a phone number) that records
of at least two different sources share. The customer *disagrees* on a field when records
of at least two sources carry the field and at least two distinct values of it occur among
the customer's records (then two sources necessarily hold different values). Compared
fields are the traits and the linking identifiers themselves; source-local identifiers such
as `customer_id` are not compared, since each source numbers its customers its own way.
Only imported profile records are compared: event traits are snapshots in time, which may
differ legitimately.

Every record row of `quality_record_values` carries the hashes of its link values
(`l0`, `l1`, …), so customers are found by grouping, without joining records to records.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from opencdp.crypto.personal import personal_data
from opencdp.hygiene.quality_common import EXAMPLES, dicts, mask, share
from opencdp.hygiene.quality_values import link_column

# Identifier types that mean the same person in every source.
LINK_IDENTIFIERS = ("email", "phone")
# A filtered report keeps the customers that include a record of its source.
_HAS_SOURCE = "(CAST($source AS VARCHAR) IS NULL OR bool_or(source_id = $source))"


def _build_disagreements(
    cur: duckdb.DuckDBPyConnection, links: list[str], source_id: str | None
) -> None:
    """`quality_disagreements(link, lh, field)`: one row per disagreeing customer and field."""
    per_link = " UNION ALL ".join(
        f"SELECT $link{i} AS link, {link_column(i)} AS lh, field FROM quality_record_values"
        f" WHERE {link_column(i)} IS NOT NULL AND field <> $link{i}"
        " AND (role = 'trait' OR list_contains($links, field))"
        f" GROUP BY {link_column(i)}, field HAVING min(source_id) <> max(source_id)"
        f" AND min(h) <> max(h) AND {_HAS_SOURCE}"
        for i in range(len(links))
    )
    cur.execute(
        f"CREATE TEMP TABLE quality_disagreements AS {per_link}",
        _params(links, links=links, source=source_id),
    )


def _params(names: list[str], **extra: Any) -> dict[str, Any]:
    """`$link0`, `$link1`, … and any others (DuckDB refuses parameters a query does not use)."""
    return {**{f"link{i}": name for i, name in enumerate(names)}, **extra}


def _shared_customers(
    cur: duckdb.DuckDBPyConnection, links: list[str], source_id: str | None
) -> dict[str, int]:
    """How many customers each link identifier ties across two or more sources."""
    per_link = " UNION ALL ".join(
        f"SELECT $link{i} AS link, count(*) AS customers FROM (SELECT {link_column(i)}"
        f" FROM quality_record_values WHERE role = 'identifier' AND field = $link{i}"
        f" GROUP BY {link_column(i)} HAVING min(source_id) <> max(source_id) AND {_HAS_SOURCE})"
        for i in range(len(links))
    )
    return dict(cur.execute(per_link, _params(links, source=source_id)).fetchall())


def _examples(
    cur: duckdb.DuckDBPyConnection, links: list[str]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """A few disagreeing customers per (link, field), masked: who, and each source's values."""
    members = " UNION ALL ".join(
        f"SELECT p.*, v.source_id, v.rid FROM picked p JOIN quality_record_values v"
        f" ON p.link = $link{i} AND v.{link_column(i)} = p.lh"
        f" WHERE v.role = 'identifier' AND v.field = $link{i}"
        for i in range(len(links))
    )
    rows = dicts(
        cur,
        "WITH picked AS (SELECT link, lh, field FROM quality_disagreements QUALIFY"
        "  row_number() OVER (PARTITION BY link, field ORDER BY lh) <= $n),"
        f" members AS ({members}),"
        " found AS (SELECT m.link, m.field, m.lh, m.source_id,"
        "  quality_member(r.identifiers, m.link) AS who, coalesce(quality_member("
        "  r.identifiers, m.field), quality_member(r.traits, m.field)) AS value,"
        "  CASE WHEN quality_member(r.identifiers, m.field) IS NOT NULL THEN m.field END AS kind"
        "  FROM members m JOIN source_records r ON r.rowid = m.rid)"
        " SELECT link, field, lh, source_id, min(who) AS who,"
        "  list(DISTINCT [kind, value]) FILTER (WHERE value IS NOT NULL) AS found_values"
        " FROM found GROUP BY ALL ORDER BY link, field, lh, source_id",
        _params(links, n=EXAMPLES),
    )
    plain = _Plain(cur)
    grouped: dict[tuple[str, str, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["link"], row["field"], row["lh"])
        who = mask(plain.identifier(row["link"], row["who"]))
        one = grouped.setdefault(key, {"customer": who, "values": {}})
        shown = {mask(plain.identifier(kind, value) if kind else plain.value(value))
                 for kind, value in row["found_values"] or []}  # fmt: skip
        one["values"][row["source_id"]] = sorted(v for v in shown if v is not None)
    examples: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (link, field, _), example in grouped.items():
        examples[(link, field)].append(example)
    return examples


class _Plain:
    """The plaintext behind stored values, for masking: identifiers through the vault
    (pseudonyms when field encryption is on), sealed values by opening them; a plain
    directory's values are returned as they are."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self._personal = personal_data(cur)

    def identifier(self, kind: str, value: str | None) -> str | None:
        if value is None or not self._personal.enabled:
            return value
        found = self._cur.execute(
            "SELECT token FROM identifier_values WHERE identifier = ? LIMIT 1",
            [f"{kind}:{value}"],
        ).fetchall()
        return self.value(found[0][0]) if found else value

    def value(self, value: Any) -> Any:
        return self._personal.open(value)


def consistency(
    cur: duckdb.DuckDBPyConnection, links: list[str], source_id: str | None
) -> list[dict[str, Any]]:
    """Disagreeing customers per (linking identifier, field), most frequent first.

    `customers` disagree on `field`; `shared_customers` is how many customers the link
    ties across sources at all, and `share` the first over the second.
    """
    if not links:
        return []
    _build_disagreements(cur, links, source_id)
    shared = _shared_customers(cur, links, source_id)
    examples = _examples(cur, links)
    counts = dicts(
        cur,
        "SELECT link, field, count(*) AS customers FROM quality_disagreements GROUP BY ALL"
        " ORDER BY customers DESC, link, field",
    )
    return [
        {"linked_by": c["link"], "field": c["field"], "customers": c["customers"],
         "shared_customers": shared[c["link"]],
         "share": share(c["customers"], shared[c["link"]]),
         "examples": examples.get((c["link"], c["field"]), [])}
        for c in counts
    ]  # fmt: skip
