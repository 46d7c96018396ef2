"""Materialised profiles: the tables segments, computed traits and activation aggregate.

The 360° view derives a profile on read, which is right for one person and far too slow for
"every Thai customer who bought twice this month" over a million. So after identity
resolution has caught up, this stage places each new event on its profile
(`profile_events`), moves the events of merged profiles to the survivor, and rewrites the
golden record (`profiles`) and the consents (`profile_consents`, derived from the consent
ledger: privacy/ledger.py) of the profiles that changed. It keeps its own cursor on the log
(`derived_cursors`), reads merges from `identity_merges`, and is a pure function of the
identity tables, the log and the ledger, so a rebuild (cursor back to 0) gives the same tables
as catching up piece by piece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from opencdp.privacy import ledger
from opencdp.profiles.event_order import (
    EVENT_ORDER,
    SORTED,
    copy_events_of,
    order_by_profile,
    set_cursor,
)

STAGE = "profiles"

# An event belongs to the profile of its first identifier that identity resolution linked
# (an identifier a rule refused is not linked and so does not count).
_PLACE_EVENTS = """
CREATE OR REPLACE TEMP TABLE _placed AS
SELECT a.profile_id, e.seq, e.source_id, e.type, e.event, e."timestamp", e.properties,
       CASE WHEN e.type = 'identify' THEN e.traits END,
       e.context -> '$.consent.categoryPreferences', md5_number_upper(a.profile_id)
FROM events e JOIN (
  SELECT x.seq, arg_min(l.profile_id, x.pos) AS profile_id
  FROM (SELECT seq, unnest(identifiers) AS ident, generate_subscripts(identifiers, 1) AS pos
        FROM events WHERE seq > $after AND seq <= $through) x
  JOIN identity_links l
    ON l.identifier_type = split_part(x.ident, ':', 1)
   AND l.identifier_value = x.ident[strpos(x.ident, ':') + 1:]
  GROUP BY x.seq
) a ON a.seq = e.seq
WHERE e.seq > $after AND e.seq <= $through
{order}
"""

# Profiles whose golden record may have changed: new events, new or changed records.
_TOUCHED = """
CREATE OR REPLACE TEMP TABLE _touched AS
SELECT profile_id, md5_number_upper(profile_id) AS profile_key FROM (
  SELECT DISTINCT profile_id FROM _placed
  UNION ALL
  SELECT l.profile_id FROM source_records r JOIN identity_links l
    ON l.identifier_type = 'source_record'
   AND l.identifier_value = r.source_id || ':' || r.record_id
  WHERE r.seq > $after AND r.seq <= $through
  UNION ALL
  SELECT survivor FROM _moved
) GROUP BY profile_id
"""

# The latest statement of each trait, from identify events and the profile's records.
_LATEST_TRAITS = """
CREATE OR REPLACE TEMP TABLE _latest AS
WITH record_keys AS (
  SELECT l.profile_id,
         md5_number_upper(split_part(l.identifier_value, ':', 1) || chr(0)
                          || l.identifier_value[strpos(l.identifier_value, ':') + 1:]) AS record_key
  FROM {links} l SEMI JOIN _touched t ON t.profile_id = l.profile_id
  WHERE l.identifier_type = 'source_record'
), stated AS (
  SELECT pe.profile_id, t.key AS trait, t.value AS value, pe."timestamp" AS stated_at
  FROM {events} pe SEMI JOIN _touched x ON x.profile_key = pe.profile_key,
       json_each(pe.traits) t
  WHERE pe.traits IS NOT NULL
  UNION ALL
  SELECT k.profile_id, t.key, t.value, r.updated_at
  FROM record_keys k JOIN source_records r ON r.record_key = k.record_key, json_each(r.traits) t
)
SELECT profile_id, trait, arg_max(value, stated_at) AS value, max(stated_at) AS stated_at
FROM stated GROUP BY ALL
"""

_PROFILE_ROWS = """
CREATE OR REPLACE TEMP TABLE _fresh AS
WITH golden AS (
  SELECT profile_id, to_json(map(list(trait ORDER BY trait), list(value ORDER BY trait))) AS traits,
         to_json(map(list(trait ORDER BY trait), list(stated_at ORDER BY trait))) AS trait_times
  FROM _latest GROUP BY profile_id
), seen AS (
  SELECT pe.profile_id, min(pe."timestamp") AS first_seen, max(pe."timestamp") AS last_seen
  FROM {events} pe SEMI JOIN _touched t ON t.profile_key = pe.profile_key
  GROUP BY pe.profile_id
)
SELECT t.profile_id, g.traits, g.trait_times, s.first_seen, s.last_seen, now() AS updated_at
FROM _touched t SEMI JOIN {links} l ON l.profile_id = t.profile_id
LEFT JOIN golden g ON g.profile_id = t.profile_id
LEFT JOIN seen s ON s.profile_id = t.profile_id
"""

_UPSERT_PROFILES = (
    "UPDATE profiles p SET traits = f.traits, trait_times = f.trait_times,"
    " first_seen = f.first_seen, last_seen = f.last_seen, updated_at = f.updated_at"
    " FROM _fresh f WHERE p.profile_id = f.profile_id",
    "INSERT INTO profiles SELECT f.profile_id, f.traits, f.trait_times, NULL, f.first_seen,"
    " f.last_seen, f.updated_at FROM _fresh f ANTI JOIN profiles p ON p.profile_id = f.profile_id",
)

@dataclass
class ProfileChanges:
    """What one catch-up changed: profiles rewritten, profiles gone (merged away)."""

    after: int
    through: int
    touched: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    survivors: list[str] = field(default_factory=list)  # profiles that absorbed another
    events: int = 0
    observed: int = 0  # observations identity resolution read before (set by the refresher)


def cursor(con: duckdb.DuckDBPyConnection, stage: str = STAGE) -> int:
    row = con.execute("SELECT seq FROM derived_cursors WHERE stage = ?", [stage]).fetchone()
    return int(row[0]) if row else 0


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget everything derived, so the next catch-up rebuilds from the whole log."""
    for table in ("profile_events", "profile_events_by_profile", "profile_consents"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM derived_cursors WHERE stage = ?", [SORTED])
    # Profiles keep their rows until the catch-up rewrites them: computed values survive a
    # rebuild of identities; rows of profiles that no longer exist are removed below.
    con.execute("DELETE FROM derived_cursors WHERE stage = ?", [STAGE])


def catch_up(con: duckdb.DuckDBPyConnection, through: int) -> ProfileChanges:
    """Bring the profile tables up to `through` (the seq identity has resolved)."""
    after = cursor(con)
    changes = ProfileChanges(after, through)
    if through <= after:
        if ledger.cursor(con) >= through:
            return changes
        # the ledger is behind the profiles: the first catch-up after an upgrade
        con.execute("CREATE OR REPLACE TEMP TABLE _fresh (profile_id VARCHAR)")
        changes.touched = _follow_ledger(con, through)
        con.execute("DROP TABLE _fresh")
        return changes
    params = {"after": after, "through": through}
    moved = _final_moves(con, after, through)
    changes.removed = sorted(moved)
    changes.survivors = sorted(set(moved.values()))
    moves = pa.table(  # noqa: F841 (read by the SQL below)
        {"absorbed": list(moved), "survivor": list(moved.values())},
        schema=pa.schema([("absorbed", pa.string()), ("survivor", pa.string())]),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _moved AS SELECT *,"
                " md5_number_upper(absorbed) AS absorbed_key FROM moves")  # fmt: skip
    if moved:
        for table in ("profile_events", "profile_events_by_profile"):
            con.execute(
                f"UPDATE {table} SET profile_id = m.survivor,"
                " profile_key = md5_number_upper(m.survivor) FROM _moved m"
                f" WHERE {table}.profile_key = m.absorbed_key"
            )
    con.execute(_PLACE_EVENTS.format(order=EVENT_ORDER if after == 0 else ""), params)
    con.execute("INSERT INTO profile_events SELECT * FROM _placed")
    changes.events = _count(con, "SELECT count(*) FROM _placed")
    con.execute(_TOUCHED, params)
    if after == 0:  # a rebuild: every linked profile, and none of the stale rows
        con.execute(
            "INSERT INTO _touched SELECT profile_id, md5_number_upper(profile_id) FROM"
            " (SELECT DISTINCT profile_id FROM identity_links"
            "  EXCEPT SELECT profile_id FROM _touched)"
        )
        vanished = con.execute(
            "DELETE FROM profiles p WHERE NOT EXISTS"
            " (SELECT 1 FROM identity_links l WHERE l.profile_id = p.profile_id)"
            " RETURNING profile_id"
        ).fetchall()
        changes.removed = sorted({*changes.removed, *(row[0] for row in vanished)})
    if after == 0:
        order_by_profile(con, through)
    _rewrite_profiles(con, everyone=after == 0)
    changes.touched = [r[0] for r in con.execute("SELECT profile_id FROM _fresh").fetchall()]
    con.execute("DELETE FROM profiles WHERE profile_id IN (SELECT absorbed FROM _moved)")
    con.execute("DELETE FROM profile_consents WHERE profile_id IN (SELECT absorbed FROM _moved)")
    stated = _follow_ledger(con, through)
    changes.touched = sorted({*changes.touched, *stated})
    set_cursor(con, STAGE, through)
    for table in ("_placed", "_moved", "_touched", "_latest", "_fresh"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return changes


def _rewrite_profiles(con: duckdb.DuckDBPyConnection, *, everyone: bool) -> None:
    """Rewrite the touched profiles. For a few of them, their events and links are copied out
    once (found by integer key) instead of being searched for in every statement."""
    tables = {"events": "profile_events", "links": "identity_links"}
    if not everyone:
        copy_events_of(con, "_touched", "_touched_events")
        con.execute("CREATE OR REPLACE TEMP TABLE _touched_links AS SELECT * FROM identity_links"
                    " WHERE profile_id IN (SELECT profile_id FROM _touched)")  # fmt: skip
        tables = {"events": "_touched_events", "links": "_touched_links"}
    con.execute(_LATEST_TRAITS.format(**tables))
    con.execute(_PROFILE_ROWS.format(**tables))
    for statement in _UPSERT_PROFILES:
        con.execute(statement)
    for table in ("_touched_events", "_touched_links"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _follow_ledger(con: duckdb.DuckDBPyConnection, through: int) -> list[str]:
    """Record the consent statements of the log up to `through` and re-derive the consent
    of the rewritten profiles (`_fresh`) and of those that just stated something; returns
    the latter."""
    before = ledger.last_statement_id(con)
    new = ledger.record_from_log(con, through)
    stated = ledger.profiles_stated_since(con, before) if new else []
    if not stated and not _count(con, "SELECT count(*) FROM _fresh"):
        return []
    listed = pa.table({"profile_id": pa.array(stated, pa.string())})  # noqa: F841
    con.execute("CREATE OR REPLACE TEMP TABLE _consent_touched AS"
                " SELECT profile_id FROM _fresh UNION SELECT profile_id FROM listed")  # fmt: skip
    ledger.derive(con, "_consent_touched", now=datetime.now(UTC))
    con.execute("DROP TABLE _consent_touched")
    return stated


def _final_moves(con: duckdb.DuckDBPyConnection, after: int, through: int) -> dict[str, str]:
    """Absorbed profile → the profile it finally lives on, for merges in the window."""
    rows = con.execute(
        "SELECT absorbed, survivor FROM identity_merges WHERE seq > ? AND seq <= ? ORDER BY seq",
        [after, through],
    ).fetchall()
    into = dict(rows)
    final = {}
    for absorbed, first in into.items():
        survivor = first
        seen = {absorbed}
        while survivor in into and survivor not in seen:
            seen.add(survivor)
            survivor = into[survivor]
        final[absorbed] = survivor
    return final


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
