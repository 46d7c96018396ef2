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

# Events list their identifiers at ingestion (`events.identifiers`, `type:value`); a record
# keeps the identifier columns of its mapping as a JSON object, and is itself identified as
# `source_record:<source id>:<record id>`, which is what a probabilistic match links.
_QUERY = """
SELECT seq, NULL AS origin, identifiers FROM events
WHERE seq > $after AND seq <= $through AND identifiers IS NOT NULL
UNION ALL
SELECT seq, 'record:' || record, list_prepend('source_record:' || record, found) FROM (
  SELECT r.seq, r.source_id || ':' || r.record_id AS record,
         list(j.key || ':' || (j.value ->> '$') ORDER BY j.key, j.value ->> '$') AS found
  FROM source_records r, json_each(r.identifiers) j
  WHERE r.seq > $after AND r.seq <= $through AND j.value ->> '$' IS NOT NULL
  GROUP BY ALL
)
UNION ALL
SELECT seq, 'match:' || record_l || '|' || record_r,
       ['source_record:' || record_l, 'source_record:' || record_r]
FROM identity_matches
WHERE status IN ('merged', 'accepted') AND seq > $after AND seq <= $through
ORDER BY seq
"""


def last_seq(con: duckdb.DuckDBPyConnection) -> int:
    """The newest sequence number of events and records (0 when there are none)."""
    row = con.execute(
        "SELECT greatest((SELECT coalesce(max(seq), 0) FROM events),"
        " (SELECT coalesce(max(seq), 0) FROM source_records),"
        " (SELECT coalesce(max(seq), 0) FROM identity_matches))"
    ).fetchall()
    return int(row[0][0])


def read_observations(
    con: duckdb.DuckDBPyConnection,
    after: int,
    through: int,
    known: dict[str, Identifier] | None = None,
) -> Iterator[Observation]:
    """Observations with `after < seq <= through`, in seq order.

    `known` interns identifiers across calls: most events repeat an identifier the graph
    already holds, and reusing that object skips parsing and keeps one copy in memory.
    """
    known = {} if known is None else known
    rows = con.execute(_QUERY, {"after": after, "through": through}).fetchall()
    for seq, origin, texts in rows:
        found = []
        for text in texts:
            identifier = known.get(text)
            if identifier is None:
                kind, _, value = text.partition(":")
                if not value:
                    continue
                identifier = known[text] = Identifier(kind, value)
            found.append(identifier)
        if found:
            yield Observation(seq, origin or f"event:{seq}", tuple(found))
