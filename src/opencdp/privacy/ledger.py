"""The consent ledger: every statement kept, and each profile's consent derived from it.

Statements come from four places. Collected events (`context.consent.categoryPreferences`,
consent traits of `identify`, and the `gpc` flag the collector sets from `Sec-GPC: 1`) and
imported records (consent columns, consent traits) are read from the log after identity has
resolved it, with the ledger's own cursor, in the same transaction as the profile tables
(`record_from_log`); so the collector does no consent work per event. The API records
statements directly (`record_statements`).

A statement belongs to an identifier, not to a profile: the identifier that placed the event
on its profile (its first identifier that identity linked), the imported record, or the one
the API names. `derive` rewrites `profile_consents` for a set of profiles by joining their
identifiers to the ledger and applying the rule of `consent_rule` in SQL, so merges, unmerges
and rebuilds re-derive consent without touching the ledger.

Repeated statements are recorded once: Segment's sources send the same `categoryPreferences`
with every event, so a statement from the log is kept only when it differs from the previous
statement of its identifier for that purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.privacy.consent import (
    CAMEL_PATTERN,
    DENY_WORDS,
    GPC_DENIES,
    GRANT_WORDS,
    LEGAL_BASES,
    PERSON_IDENTIFIERS,
    SEPARATOR_PATTERN,
    STATEMENT_PATTERN,
)
from opencdp.privacy.purposes import alias_rows

STAGE = "consent_ledger"  # derived_cursors: seq through which the log's statements are recorded
COLUMNS = (
    "statement_id, subject_type, subject_value, seq, purpose, granted, legal_basis, source,"
    " stated_at, recorded_at, policy_version, expires_at, jurisdiction, note"
)


def _sql_list(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)  # our own constants, never user input


def _normal(expr: str) -> str:
    """SQL for `consent.normal_name(expr)`."""
    return (f"lower(regexp_replace(regexp_replace(trim({expr}), '{CAMEL_PATTERN}', '\\1_\\2',"
            f" 'g'), '{SEPARATOR_PATTERN}', '_', 'g'))")  # fmt: skip


# Events that may state consent: cheap text tests on the JSON before any is parsed.
_EVENT_CANDIDATES = """
CREATE OR REPLACE TEMP TABLE _consent_events AS
SELECT seq, type, "timestamp" AS stated_at, identifiers,
       CASE WHEN type = 'identify' THEN traits END AS traits,
       context -> '$.consent' AS consent, context ->> '$.gpc' AS gpc
FROM events
WHERE seq > $after AND seq <= $through AND identifiers IS NOT NULL AND (
      contains(context::VARCHAR, 'categoryPreferences') OR contains(context::VARCHAR, '"gpc"')
      OR (type = 'identify' AND regexp_matches(traits::VARCHAR, '(?i)consent|opt_?in|accepts')))
"""

# Imported records of the window that may state consent (consent columns, consent traits).
_RECORD_CANDIDATES = """
CREATE OR REPLACE TEMP TABLE _consent_records AS
SELECT source_id, record_id, seq, updated_at, traits FROM source_records
WHERE seq > $after AND seq <= $through
  AND regexp_matches(traits::VARCHAR, '(?i)consent|opt_?in|accepts')
"""

# The identifier each candidate event states through: the first one identity linked (the
# one that placed the event), else its first identifier.
_EVENT_SUBJECTS = """
CREATE OR REPLACE TEMP TABLE _consent_subjects AS
SELECT x.seq,
       coalesce(arg_min(x.ident, x.pos) FILTER (WHERE l.profile_id IS NOT NULL),
                arg_min(x.ident, x.pos)) AS subject
FROM (SELECT seq, unnest(identifiers) AS ident, generate_subscripts(identifiers, 1) AS pos
      FROM _consent_events) x
LEFT JOIN identity_links l
  ON l.identifier_type = split_part(x.ident, ':', 1)
 AND l.identifier_value = x.ident[strpos(x.ident, ':') + 1:]
GROUP BY x.seq
"""

_TRAIT_NAME = (f"coalesce(nullif(regexp_extract({_normal('t.key')}, '{STATEMENT_PATTERN}', 1), ''),"
               f" regexp_extract({_normal('t.key')}, '{STATEMENT_PATTERN}', 2))")  # fmt: skip
_IS_TRAIT_STATEMENT = f"regexp_matches({_normal('t.key')}, '{STATEMENT_PATTERN}')"


def _object_entries(expr: str) -> str:
    return f"json_each(CASE WHEN json_type({expr}) = 'OBJECT' THEN {expr} END)"


# Every statement the candidate events and the window's records make, before parsing values.
_RAW = f"""
CREATE OR REPLACE TEMP TABLE _consent_raw AS
SELECT s.subject AS subject, e.seq, e.stated_at, 'event' AS source, c.key AS name,
       c.value AS value, e.consent ->> 'policyVersion' AS policy_version,
       e.consent ->> 'jurisdiction' AS jurisdiction
FROM _consent_events e JOIN _consent_subjects s USING (seq),
     {_object_entries("e.consent -> 'categoryPreferences'")} c
UNION ALL
SELECT s.subject, e.seq, e.stated_at, 'gpc', unnest([{_sql_list(GPC_DENIES)}]), 'false'::JSON,
       NULL, NULL
FROM _consent_events e JOIN _consent_subjects s USING (seq)
WHERE lower(e.gpc) IN ('true', '1')
UNION ALL
SELECT s.subject, e.seq, e.stated_at, 'event', {_TRAIT_NAME}, t.value, NULL, NULL
FROM _consent_events e JOIN _consent_subjects s USING (seq), {_object_entries("e.traits")} t
WHERE {_IS_TRAIT_STATEMENT}
UNION ALL
SELECT s.subject, e.seq, e.stated_at, 'event', t.key, t.value, NULL, NULL
FROM _consent_events e JOIN _consent_subjects s USING (seq),
     {_object_entries("e.traits -> 'consents'")} t
UNION ALL
SELECT 'source_record:' || r.source_id || ':' || r.record_id, r.seq, r.updated_at, 'import',
       {_TRAIT_NAME}, t.value, NULL, NULL
FROM _consent_records r, {_object_entries("r.traits")} t
WHERE {_IS_TRAIT_STATEMENT}
UNION ALL
SELECT 'source_record:' || r.source_id || ':' || r.record_id, r.seq, r.updated_at, 'import',
       t.key, t.value, NULL, NULL
FROM _consent_records r, {_object_entries("r.traits -> 'consents'")} t
"""

_VERDICT = "CASE WHEN json_type(r.value) = 'OBJECT' THEN r.value -> 'granted' ELSE r.value END"
_WORD = f"regexp_replace(lower(trim(({_VERDICT}) ->> '$')), '{SEPARATOR_PATTERN}', '_', 'g')"
_EXTRA = "CASE WHEN json_type(r.value) = 'OBJECT' THEN r.value ->> '{key}' END"

# Parsed statements: the purpose through its names, the verdict, the optional details an
# object value carries. A GPC signal overrides a grant of the same event for what it denies.
_PARSED = f"""
CREATE OR REPLACE TEMP TABLE _consent_parsed AS
WITH parsed AS (
  SELECT split_part(r.subject, ':', 1) AS subject_type,
         r.subject[strpos(r.subject, ':') + 1:] AS subject_value,
         r.seq, a.purpose, r.source,
         CASE WHEN {_WORD} IN ({_sql_list(GRANT_WORDS)}) THEN true
              WHEN {_WORD} IN ({_sql_list(DENY_WORDS)}) THEN false END AS granted,
         coalesce(list_filter([{_normal(_EXTRA.format(key="legal_basis"))}],
                              lambda b: b IN ({_sql_list(LEGAL_BASES)}))[1], 'consent')
           AS legal_basis,
         coalesce(try_cast({_EXTRA.format(key="stated_at")} AS TIMESTAMPTZ), r.stated_at)
           AS stated_at,
         coalesce({_EXTRA.format(key="policy_version")}, r.policy_version) AS policy_version,
         try_cast({_EXTRA.format(key="expires_at")} AS TIMESTAMPTZ) AS expires_at,
         coalesce({_EXTRA.format(key="jurisdiction")}, r.jurisdiction) AS jurisdiction
  FROM _consent_raw r JOIN _consent_aliases a ON a.alias = {_normal("r.name")}
)
SELECT * FROM parsed p
WHERE p.granted IS NOT NULL
  AND NOT (p.granted AND p.source = 'event' AND EXISTS (
      SELECT 1 FROM parsed g WHERE g.source = 'gpc' AND g.seq = p.seq AND g.purpose = p.purpose))
"""

# Kept: statements that differ from the previous one of their identifier and purpose.
_RECORD = """
INSERT INTO consent_ledger (subject_type, subject_value, seq, purpose, granted, legal_basis,
                            source, stated_at, policy_version, expires_at, jurisdiction)
WITH keys AS (SELECT DISTINCT subject_type, subject_value, purpose FROM _consent_parsed),
before AS (
  SELECT c.subject_type, c.subject_value, c.purpose, c.granted, c.legal_basis, c.source,
         c.stated_at, c.seq, c.policy_version, c.expires_at, c.jurisdiction, 0 AS fresh
  FROM consent_ledger c SEMI JOIN keys k
    ON k.subject_type = c.subject_type AND k.subject_value = c.subject_value
   AND k.purpose = c.purpose
  QUALIFY row_number() OVER (PARTITION BY c.subject_type, c.subject_value, c.purpose
                             ORDER BY c.stated_at DESC, c.statement_id DESC) = 1
), joined AS (
  SELECT *, lag(said) OVER (PARTITION BY subject_type, subject_value, purpose
                            ORDER BY stated_at, fresh, seq) AS said_before
  FROM (SELECT *, (granted, legal_basis, policy_version, expires_at, jurisdiction) AS said
        FROM (SELECT *, 1 AS fresh FROM _consent_parsed UNION ALL BY NAME SELECT * FROM before))
)
SELECT subject_type, subject_value, seq, purpose, granted, legal_basis, source, stated_at,
       policy_version, expires_at, jurisdiction
FROM joined WHERE fresh = 1 AND said_before IS DISTINCT FROM said
ORDER BY seq, purpose
"""

# The rule of `consent_rule`, for every profile in `_consent_scope` and every purpose.
_DERIVE = f"""
INSERT INTO profile_consents (profile_id, purpose, granted, stated_at, origin, subject,
                              legal_basis, expires_at, statement_id)
WITH stated AS (
  SELECT l.profile_id, c.*
  FROM identity_links l
  JOIN consent_ledger c
    ON c.subject_type = l.identifier_type AND c.subject_value = l.identifier_value
  WHERE l.profile_id IN (SELECT profile_id FROM _consent_scope)
), standing AS (
  SELECT *, granted AND (expires_at IS NULL OR expires_at > $now) AS live
  FROM stated
  QUALIFY row_number() OVER (PARTITION BY profile_id, purpose, subject_type, subject_value
                             ORDER BY stated_at DESC, granted ASC, statement_id DESC) = 1
), marked AS (
  SELECT *, max(stated_at) FILTER (WHERE NOT granted)
              OVER (PARTITION BY profile_id, purpose) AS last_denial
  FROM standing
), ranked AS (
  SELECT *, CASE WHEN live AND (last_denial IS NULL OR (stated_at > last_denial
                                AND subject_type IN ({_sql_list(PERSON_IDENTIFIERS)}))) THEN 2
                 WHEN NOT granted THEN 1 ELSE 0 END AS rank
  FROM marked
), decided AS (
  SELECT *, bool_or(rank = 2 AND expires_at IS NULL) OVER w AS forever,
         max(expires_at) FILTER (WHERE rank = 2) OVER w AS until
  FROM ranked
  WINDOW w AS (PARTITION BY profile_id, purpose)
  QUALIFY row_number() OVER (PARTITION BY profile_id, purpose
                             ORDER BY rank DESC, stated_at DESC, statement_id DESC) = 1
)
SELECT profile_id, purpose, rank = 2, stated_at, source, subject_type || ':' || subject_value,
       legal_basis,
       CASE rank WHEN 2 THEN CASE WHEN forever THEN NULL ELSE until END
                 WHEN 0 THEN expires_at END,
       statement_id
FROM decided
"""


@dataclass(frozen=True)
class NewStatement:
    """A statement the API records (already validated, purpose canonical)."""

    subject_type: str
    subject_value: str
    purpose: str
    granted: bool
    stated_at: datetime
    legal_basis: str = "consent"
    source: str = "api"
    policy_version: str | None = None
    expires_at: datetime | None = None
    jurisdiction: str | None = None
    note: str | None = None


def cursor(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT seq FROM derived_cursors WHERE stage = ?", [STAGE]).fetchone()
    return int(row[0]) if row else 0


def last_statement_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT max(statement_id) FROM consent_ledger").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def record_from_log(con: duckdb.DuckDBPyConnection, through: int) -> int:
    """Record the statements of events and records up to `through` not yet recorded; returns
    how many statements were new. Needs identity resolved through `through` (subjects)."""
    after = cursor(con)
    if through <= after:
        return 0
    params = {"after": after, "through": through}
    before = last_statement_id(con)
    con.execute(_EVENT_CANDIDATES, params)
    con.execute(_RECORD_CANDIDATES, params)
    if _count(con, "SELECT (SELECT count(*) FROM _consent_events)"
                   " + (SELECT count(*) FROM _consent_records)"):  # fmt: skip
        _aliases(con)
        con.execute(_EVENT_SUBJECTS)
        con.execute(_RAW)
        con.execute(_PARSED)
        con.execute(_RECORD)
    # else: nothing in the window can state consent (most windows), so no parsing at all
    con.execute("INSERT OR REPLACE INTO derived_cursors (stage, seq) VALUES (?, ?)",
                [STAGE, through])  # fmt: skip
    for table in ("_consent_events", "_consent_records", "_consent_subjects", "_consent_raw",
                  "_consent_parsed", "_consent_aliases"):  # fmt: skip
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return last_statement_id(con) - before


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def profiles_stated_since(con: duckdb.DuckDBPyConnection, statement_id: int) -> list[str]:
    """The profiles whose identifiers made statements after `statement_id`."""
    rows = con.execute(
        "SELECT DISTINCT l.profile_id FROM consent_ledger c JOIN identity_links l"
        " ON l.identifier_type = c.subject_type AND l.identifier_value = c.subject_value"
        " WHERE c.statement_id > ? ORDER BY 1",
        [statement_id],
    ).fetchall()
    return [row[0] for row in rows]


def record_statements(
    con: duckdb.DuckDBPyConnection, statements: Sequence[NewStatement]
) -> list[int]:
    """Append statements made through the API; returns their ids. Call `derive` after."""
    ids = []
    for s in statements:
        row = con.execute(
            "INSERT INTO consent_ledger (subject_type, subject_value, seq, purpose, granted,"
            " legal_basis, source, stated_at, policy_version, expires_at, jurisdiction, note)"
            " VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING statement_id",
            [s.subject_type, s.subject_value, s.purpose, s.granted, s.legal_basis, s.source,
             s.stated_at, s.policy_version, s.expires_at, s.jurisdiction, s.note],
        ).fetchone()  # fmt: skip
        assert row is not None
        ids.append(int(row[0]))
    return ids


def derive(con: duckdb.DuckDBPyConnection, scope: str, *, now: datetime) -> None:
    """Rewrite `profile_consents` for the profiles in table `scope` (a `profile_id` column)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _consent_scope AS"
                f" SELECT DISTINCT profile_id FROM {scope}")  # fmt: skip
    con.execute("DELETE FROM profile_consents"
                " WHERE profile_id IN (SELECT profile_id FROM _consent_scope)")  # fmt: skip
    con.execute(_DERIVE, {"now": now})
    con.execute("DROP TABLE _consent_scope")


def derive_profiles(
    con: duckdb.DuckDBPyConnection, profile_ids: Sequence[str], *, now: datetime
) -> None:
    listed = pa.table({"profile_id": pa.array(list(profile_ids), pa.string())})  # noqa: F841
    con.execute("CREATE OR REPLACE TEMP TABLE _consent_listed AS SELECT * FROM listed")
    derive(con, "_consent_listed", now=now)
    con.execute("DROP TABLE _consent_listed")


def expire_grants(con: duckdb.DuckDBPyConnection, *, now: datetime) -> list[str]:
    """Re-derive the profiles whose granted consent has lapsed by `now`; returns them."""
    rows = con.execute(
        "SELECT DISTINCT profile_id FROM profile_consents"
        " WHERE granted AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY 1",
        [now],
    ).fetchall()
    lapsed = [row[0] for row in rows]
    if lapsed:
        derive_profiles(con, lapsed, now=now)
    return lapsed


def statements_of(
    con: duckdb.DuckDBPyConnection,
    identifiers: Sequence[tuple[str, str]],
    *,
    purpose: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The statements made through any of `identifiers`, newest first."""
    wanted = pa.table({  # noqa: F841
        "t": pa.array([i[0] for i in identifiers], pa.string()),
        "v": pa.array([i[1] for i in identifiers], pa.string()),
    })
    rows = con.execute(
        f"SELECT {COLUMNS} FROM consent_ledger c SEMI JOIN wanted i"
        " ON i.t = c.subject_type AND i.v = c.subject_value"
        " WHERE ($purpose::VARCHAR IS NULL OR c.purpose = $purpose)"
        " ORDER BY c.stated_at DESC, c.statement_id DESC LIMIT $limit",
        {"purpose": purpose, "limit": limit},
    ).fetchall()
    return [statement_json(row) for row in rows]


def statement_json(row: Sequence[Any]) -> dict[str, Any]:
    (sid, kind, value, seq, purpose, granted, basis, source, stated, recorded, policy,
     expires, jurisdiction, note) = row  # fmt: skip
    return {
        "statement_id": sid, "subject": f"{kind}:{value}", "seq": seq, "purpose": purpose,
        "granted": granted, "legal_basis": basis, "source": source,
        "stated_at": stated.isoformat(), "recorded_at": recorded.isoformat(),
        "policy_version": policy, "expires_at": expires.isoformat() if expires else None,
        "jurisdiction": jurisdiction, "note": note,
    }  # fmt: skip


def effective(
    con: duckdb.DuckDBPyConnection, profile_id: str, *, now: datetime
) -> list[dict[str, Any]]:
    """The profile's consent per purpose, with the statement that decided it."""
    rows = con.execute(
        "SELECT purpose, granted, stated_at, origin, subject, legal_basis, expires_at,"
        " statement_id FROM profile_consents WHERE profile_id = ? ORDER BY purpose",
        [profile_id],
    ).fetchall()
    found = []
    for purpose, granted, stated, origin, subject, basis, expires, sid in rows:
        lapsed = expires is not None and expires <= now
        status = "granted" if granted and not lapsed else "expired" if lapsed else "denied"
        found.append({
            "purpose": purpose, "status": status, "granted": status == "granted",
            "stated_at": stated.isoformat() if stated else None, "source": origin,
            "subject": subject, "legal_basis": basis,
            "expires_at": expires.isoformat() if expires else None, "statement_id": sid,
        })  # fmt: skip
    return found


def _aliases(con: duckdb.DuckDBPyConnection) -> None:
    names = alias_rows(con)
    aliases = pa.table({"alias": [n for n, _ in names], "purpose": [p for _, p in names]})  # noqa: F841
    con.execute("CREATE OR REPLACE TEMP TABLE _consent_aliases AS SELECT * FROM aliases")
