"""Who a destination may receive, and what changed since it was last sent.

`CONSENTED_MEMBERS` is the one place that decides who may be sent: current members of the
segment with consent granted (and not lapsed) for the destination's purpose, minus suppressed
profiles (`privacy/enforce.py`, the same rule every export uses), so every destination kind
follows it.

The plan compares that audience with `destination_state` (what the destination holds, with a
fingerprint of the values sent) in one statement of hash joins: members not yet held have
entered, held profiles no longer in the audience have exited (left the segment, withdrew
consent, were suppressed), and held members whose fingerprint differs were updated. The SQL
is constant; the segment, purpose, destination and trait paths are bound parameters.

With field encryption on, the email/phone fallback reads the identifiers' sealed plaintext
from the `identifier_values` vault, fingerprints hash tags and pseudonyms (not tokens, which
change with every statement), and `edge.open_rows` decrypts in Python just before delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from opencdp.activate.catalog import Destination
from opencdp.activate.edge import BY_TAG, TAGGED, UNTAGGED, open_rows
from opencdp.activate.kinds import sent_traits
from opencdp.crypto.personal import personal_data
from opencdp.privacy.enforce import CONSENTED_PROFILES

CONSENTED_MEMBERS = f"""
SELECT m.profile_id
FROM segment_members AS m
WHERE m.segment_id = $segment_id
  AND m.profile_id IN ({CONSENTED_PROFILES})
"""

_PLAN = f"""
WITH consented AS ({CONSENTED_MEMBERS}),
held AS (
    SELECT profile_id, fingerprint FROM destination_state WHERE destination_id = $destination_id
),
wanted AS (SELECT profile_id FROM consented UNION SELECT profile_id FROM held),
links AS (
    SELECT l.profile_id, l.identifier_type AS kind, l.identifier_value AS id,
           l.identifier_type || ':' || l.identifier_value AS identifier
    FROM identity_links AS l
    WHERE l.identifier_type IN ('email', 'phone')
      AND l.profile_id IN (SELECT profile_id FROM wanted)
),
vault AS (  -- sealed plaintext of pseudonymous identifiers (empty when encryption is off)
    SELECT identifier, min(token) AS token FROM identifier_values
    WHERE identifier IN (SELECT identifier FROM links)
    GROUP BY identifier
),
fallback AS (
    SELECT k.profile_id,
           min(k.id) FILTER (WHERE k.kind = 'email') AS email,
           min(k.id) FILTER (WHERE k.kind = 'phone') AS phone,
           arg_min(CASE WHEN $sealed THEN v.token ELSE k.id END, k.id)
               FILTER (WHERE k.kind = 'email') AS email_value,
           arg_min(CASE WHEN $sealed THEN v.token ELSE k.id END, k.id)
               FILTER (WHERE k.kind = 'phone') AS phone_value,
           list({{'id': k.id, 'value': v.token}}) FILTER (WHERE k.kind = 'email' AND $sealed)
               AS emails,
           list({{'id': k.id, 'value': v.token}}) FILTER (WHERE k.kind = 'phone' AND $sealed)
               AS phones
    FROM links AS k
    LEFT JOIN vault AS v ON v.identifier = k.identifier
    GROUP BY k.profile_id
),
valued AS (
    SELECT w.profile_id,
           CAST(to_json(list_transform(
               list_zip(json_extract(p.traits, $paths), json_extract(p.computed, $paths)),
               lambda x: coalesce(x[1], x[2]))) AS VARCHAR) AS vals,
           f.email, f.phone, f.email_value, f.phone_value, f.emails, f.phones
    FROM wanted AS w
    LEFT JOIN profiles AS p ON p.profile_id = w.profile_id
    LEFT JOIN fallback AS f ON f.profile_id = w.profile_id
),
fingerprinted AS (
    SELECT *,
           md5_number_upper(concat_ws(chr(0), coalesce(stable_vals, ''), coalesce(email, ''),
                                      coalesce(phone, ''))) AS fingerprint
    FROM (
        SELECT *,
               CASE WHEN $sealed THEN regexp_replace(vals, $tagged, $by_tag, 'g')
                    ELSE vals END AS stable_vals,
               $sealed AND (len(emails) > 1 OR len(phones) > 1
                            OR regexp_matches(vals, $untagged)) AS reopen
        FROM valued
    )
)
SELECT v.profile_id,
       CASE WHEN c.profile_id IS NULL THEN 'exited'
            WHEN h.profile_id IS NULL THEN 'entered'
            WHEN h.fingerprint = v.fingerprint THEN 'unchanged'
            ELSE 'updated' END AS change,
       v.vals, v.email_value, v.phone_value, v.fingerprint,
       coalesce(v.reopen, false), v.emails, v.phones, v.stable_vals, h.fingerprint
FROM fingerprinted AS v
LEFT JOIN consented AS c ON c.profile_id = v.profile_id
LEFT JOIN held AS h ON h.profile_id = v.profile_id
WHERE $full OR change <> 'unchanged' OR v.reopen
ORDER BY v.profile_id
"""

_SEGMENT_SIZE = "SELECT count(*) FROM segment_members WHERE segment_id = $segment_id"
_CONSENTED_COUNT = f"SELECT count(*) FROM ({CONSENTED_MEMBERS})"


@dataclass(frozen=True)
class Change:
    """One profile's change at the destination, with the values to send (empty for a leaver
    whose profile is gone)."""

    profile_id: str
    change: str  # 'entered' | 'updated' | 'unchanged' | 'exited'
    values: dict[str, Any]
    fingerprint: int


@dataclass(frozen=True)
class Plan:
    mode: str
    traits: list[str]
    changes: list[Change] = field(default_factory=list)
    skipped_no_consent: int = 0

    def of(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.change in kinds]


def consented_members(con: duckdb.DuckDBPyConnection, segment_id: str, purpose: str) -> list[str]:
    """Profile ids of the segment's current members that may be sent for `purpose`."""
    rows = con.execute(
        CONSENTED_MEMBERS + " ORDER BY m.profile_id",
        {"segment_id": segment_id, "purpose": purpose},
    ).fetchall()
    return [row[0] for row in rows]


def plan_sync(con: duckdb.DuckDBPyConnection, destination: Destination, mode: str) -> Plan:
    """What a sync in `mode` ('full' | 'incremental') must deliver to `destination`, its
    values in plaintext (opened at the edge when the workspace seals them)."""
    traits = sent_traits(destination.kind, destination.config)
    audience = {"segment_id": destination.segment_id, "purpose": destination.purpose}
    personal = personal_data(con)
    rows = con.execute(
        _PLAN,
        {**audience, "destination_id": destination.destination_id,
         "paths": [f"$.{name}" for name in traits], "full": mode == "full",
         "sealed": personal.enabled, "tagged": TAGGED, "by_tag": BY_TAG,
         "untagged": UNTAGGED},
    ).fetchall()  # fmt: skip
    size = _count(con, _SEGMENT_SIZE, {"segment_id": destination.segment_id})
    consented = _count(con, _CONSENTED_COUNT, audience)
    changes = [Change(*row) for row in open_rows(con, personal, rows, traits, mode == "full")]
    return Plan(mode, traits, changes, size - consented)


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0
