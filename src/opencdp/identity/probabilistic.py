"""Running probabilistic matching over the imported records, and the review queue.

Records are read as people (names, birth date, e-mail, phone, address from their traits and
identifiers), matched with Fellegi-Sunter (`identity.matching`), and each pair not already on
one profile is kept in `identity_matches`: above the high threshold it is merged at once,
between the thresholds it waits for a person to accept or reject it. A merged or accepted
pair takes a seq, and identity resolution links the two records' `source_record`
identifiers at that point of the log.

With field encryption on, the records' traits are sealed tokens and their e-mail and phone
pseudonyms: `people` takes the identifiers' plaintext from the `identifier_values` vault
and opens every column in Python (keys loaded a chunk at a time), so matching compares the
same plaintext as without encryption, fuzzy names included. That plaintext lives only in the
in-memory scratch connection, whose spill directory is a private temporary folder outside
the data directory.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.crypto.tokens import PREFIX, SHREDDED
from opencdp.identity.matching import MatchSettings, explain, match_records
from opencdp.identity.matching.comparisons import gamma_column

# An identifier's stored value is its plaintext (off) or a pseudonym, maybe marked `~` as a
# refused placeholder (on); the vault, keyed without the mark, gives the pseudonym's token.
_PEOPLE = """
WITH vault AS (
  SELECT replace(identifier, ':~', ':') AS identifier, min(token) AS token
  FROM identifier_values
  WHERE identifier LIKE 'email:%' OR identifier LIKE 'phone:%'
  GROUP BY ALL
)
SELECT source_id || ':' || record_id AS record_id, source_id AS source,
  traits ->> 'first_name' AS first_name, traits ->> 'last_name' AS last_name,
  coalesce(traits ->> 'name', traits ->> 'full_name') AS full_name,
  traits ->> 'birth_date' AS birth_date,
  CASE WHEN $sealed THEN e.token ELSE identifiers ->> 'email' END AS email,
  CASE WHEN $sealed THEN p.token ELSE identifiers ->> 'phone' END AS phone,
  traits ->> 'postcode' AS postcode,
  traits ->> 'city' AS city, traits ->> 'address' AS address, traits ->> 'gender' AS gender
FROM source_records
LEFT JOIN vault AS e ON e.identifier = 'email:' || ltrim(identifiers ->> 'email', '~')
LEFT JOIN vault AS p ON p.identifier = 'phone:' || ltrim(identifiers ->> 'phone', '~')
"""
_PLAIN_COLUMNS = ("record_id", "source")
_CHUNK = 20_000  # records whose keys are loaded together (well under the key cache)
Reserve = Callable[[int], int]
_KEPT = ("record_id_l", "record_id_r", "match_probability", "match_weight", "decision")


def people(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every imported record as a person to match, in plaintext."""
    personal = personal_data(con)
    table = con.sql(_PEOPLE, params={"sealed": personal.enabled}).to_arrow_table()
    return open_columns(personal, table)


def open_columns(personal: PersonalData, table: pa.Table) -> pa.Table:
    """`table` with every token opened: text as `->>` gives it (JSON for non-strings), a
    shredded value as null. Columns without tokens are left as they are."""
    for name in table.column_names:
        column = table.column(name)
        if name in _PLAIN_COLUMNS or not pc.any(pc.starts_with(column, PREFIX)).as_py():
            continue
        values = column.to_pylist()
        opened: list[str | None] = []
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            personal.warm(chunk)
            opened.extend(_text(_open(personal, v)) for v in chunk)
        index = table.column_names.index(name)
        table = table.set_column(index, name, pa.array(opened, pa.string()))
    return table


def _open(personal: PersonalData, value: str | None) -> Any:
    try:
        return personal.open(value)
    except ValueError:  # an imported text that merely looks like a token: kept as read
        return value


def _text(value: Any) -> str | None:
    if value is None or value == SHREDDED:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def proposals(
    records: pa.Table, settings: MatchSettings | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Scored pairs at or above the review threshold, and a summary of the run."""
    with tempfile.TemporaryDirectory(prefix="opencdp-match-") as spill:
        # Plaintext may spill from the scratch: never into the data directory's `.tmp`.
        scratch = duckdb.connect(config={"temp_directory": spill})
        try:
            result = match_records(scratch, records, settings)
        finally:
            scratch.close()
    rows = []
    comparisons = result.model.settings.comparisons
    for pair in result.pairs.to_pylist():  # one pass: explaining pair by pair is quadratic
        levels = {c.field: pair[gamma_column(c)] for c in comparisons}
        explanation = explain(result.model, levels, pair["name_tf"])
        rows.append({
            **{key: pair[key] for key in _KEPT},
            "explanation": json.dumps(asdict(explanation), default=str),
        })  # fmt: skip
    summary = {"records": records.num_rows, "candidate_pairs": result.candidate_pairs,
               "decisions": result.decisions(), "model_converged": result.model.converged}
    return rows, summary  # fmt: skip


def store_proposals(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], reserve: Reserve
) -> dict[str, int]:
    """Keep new pairs not already on one profile; auto-merges get a seq. Never re-propose a
    pair already decided (a rejected pair stays rejected)."""
    if not rows:
        return {"merged": 0, "queued": 0}
    incoming = pa.Table.from_pylist(rows)  # noqa: F841 (read by the SQL below)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE new_matches AS"
        " SELECT i.* FROM incoming i"
        " LEFT JOIN identity_links a ON a.identifier_type = 'source_record'"
        "   AND a.identifier_value = i.record_id_l"
        " LEFT JOIN identity_links b ON b.identifier_type = 'source_record'"
        "   AND b.identifier_value = i.record_id_r"
        " ANTI JOIN identity_matches m ON m.record_l = i.record_id_l AND m.record_r = i.record_id_r"
        " WHERE a.profile_id IS DISTINCT FROM b.profile_id OR a.profile_id IS NULL"
    )
    try:
        merged = int(con.execute(
            "SELECT count(*) FROM new_matches WHERE decision = 'auto_merge'"
        ).fetchall()[0][0])  # fmt: skip
        first = reserve(merged) if merged else 0
        con.execute(
            "INSERT INTO identity_matches (record_l, record_r, match_probability, match_weight,"
            " decision, status, explanation, seq, decided_at)"
            " SELECT record_id_l, record_id_r, match_probability, match_weight, decision,"
            " CASE decision WHEN 'auto_merge' THEN 'merged' ELSE 'pending' END, explanation,"
            " CASE decision WHEN 'auto_merge' THEN $first - 1 + row_number() OVER"
            "   (ORDER BY decision <> 'auto_merge', record_id_l, record_id_r) END,"
            " CASE decision WHEN 'auto_merge' THEN now() END"
            " FROM new_matches",
            {"first": first},
        )
        total = int(con.execute("SELECT count(*) FROM new_matches").fetchall()[0][0])
    finally:
        con.execute("DROP TABLE IF EXISTS new_matches")
    return {"merged": merged, "queued": total - merged}


def review_queue(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT record_l, record_r, match_probability, match_weight, explanation"
        " FROM identity_matches WHERE status = 'pending'"
        " ORDER BY match_probability DESC, record_l, record_r LIMIT ?",
        [limit],
    ).fetchall()
    return [{"record_l": left, "record_r": right, "match_probability": probability,
             "match_weight": weight, "explanation": json.loads(why)}
            for left, right, probability, weight, why in rows]  # fmt: skip


def decide_pair(
    con: duckdb.DuckDBPyConnection, record_l: str, record_r: str, accept: bool, reserve: Reserve
) -> bool:
    """Accept (merge, at a new seq) or reject a pending pair; False if no such pending pair."""
    left, right = sorted((record_l, record_r))
    pending = con.execute(
        "SELECT 1 FROM identity_matches WHERE record_l = ? AND record_r = ? AND status = 'pending'",
        [left, right],
    ).fetchall()
    if not pending:
        return False
    con.execute(
        "UPDATE identity_matches SET status = ?, seq = ?, decided_at = now()"
        " WHERE record_l = ? AND record_r = ?",
        ["accepted" if accept else "rejected", reserve(1) if accept else None, left, right],
    )
    return True
