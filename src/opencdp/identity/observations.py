"""Reading observations (identifiers seen together) from the event log and imported records.

Events and records share one sequence (`seq`), so resolution replays both in the order they
were committed. Identifiers come from `userId`, `anonymousId`, an alias's `previousId`, the
e-mail and phone of `identify` traits and `context.traits` (already cleaned by hygiene),
`context.device.id` and `context.externalIds`; a record gives every column its mapping
marks as an identifier.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from opencdp.identity.model import Identifier, Observation

# One row per (seq, origin, identifier); NULL values are dropped in the outer query.
_EVENT_IDENTIFIERS = """
SELECT seq, 'event:' || seq AS origin, i.t AS type, i.v AS value FROM (
  SELECT seq, unnest([
    {'t': 'user_id', 'v': user_id},
    {'t': 'anonymous_id', 'v': anonymous_id},
    {'t': 'anonymous_id', 'v': previous_id},
    {'t': 'email', 'v': CASE WHEN type = 'identify' THEN traits ->> 'email' END},
    {'t': 'phone', 'v': CASE WHEN type = 'identify' THEN traits ->> 'phone' END},
    {'t': 'email', 'v': context -> 'traits' ->> 'email'},
    {'t': 'phone', 'v': context -> 'traits' ->> 'phone'},
    {'t': 'device_id', 'v': context -> 'device' ->> 'id'}
  ]) AS i
  FROM events WHERE seq > $after AND seq <= $through
)
UNION ALL
SELECT e.seq, 'event:' || e.seq, coalesce(x.value ->> 'type', 'external_id'), x.value ->> 'id'
FROM events e, json_each(e.context -> 'externalIds') x
WHERE e.seq > $after AND e.seq <= $through
  AND json_type(e.context -> 'externalIds') = 'ARRAY'
"""
_RECORD_IDENTIFIERS = """
SELECT r.seq, 'record:' || r.source_id || ':' || r.record_id, j.key, j.value ->> '$'
FROM source_records r, json_each(r.identifiers) j
WHERE r.seq > $after AND r.seq <= $through
"""
_QUERY = (
    f"SELECT seq, origin, type, value FROM ({_EVENT_IDENTIFIERS} UNION ALL {_RECORD_IDENTIFIERS})"
    " WHERE value IS NOT NULL AND trim(value) <> '' ORDER BY seq, type, value"
)


def last_seq(con: duckdb.DuckDBPyConnection) -> int:
    """The newest sequence number of events and records (0 when there are none)."""
    row = con.execute(
        "SELECT greatest((SELECT coalesce(max(seq), 0) FROM events),"
        " (SELECT coalesce(max(seq), 0) FROM source_records))"
    ).fetchall()
    return int(row[0][0])


def read_observations(
    con: duckdb.DuckDBPyConnection, after: int, through: int
) -> Iterator[Observation]:
    """Observations with `after < seq <= through`, in seq order."""
    rows = con.execute(_QUERY, {"after": after, "through": through}).fetchall()
    current: int | None = None
    origin = ""
    found: list[Identifier] = []
    for seq, row_origin, kind, value in rows:
        if seq != current:
            if found:
                yield Observation(current or 0, origin, tuple(found))
            current, origin, found = seq, row_origin, []
        found.append(Identifier(kind, value))
    if found:
        yield Observation(current or 0, origin, tuple(found))
