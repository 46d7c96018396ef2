"""Who may leave the workspace for a purpose: the one definition every exit point uses.

Destination syncs (activate/audience.py), segment exports and member lists for activation,
profile exports and purpose-bound event exports all select people through
`CONSENTED_PROFILES`: consent granted for the purpose, not lapsed, and not suppressed (erasure,
objection). A person with no statement for the purpose has no consent: nothing is sent on
silence.
"""

from __future__ import annotations

import duckdb

# Bind `$purpose` (canonical). `now()` is the reading transaction's time.
CONSENTED_PROFILES = """
SELECT c.profile_id FROM profile_consents AS c
WHERE c.purpose = $purpose AND c.granted
  AND (c.expires_at IS NULL OR c.expires_at > now())
  AND c.profile_id NOT IN (SELECT s.profile_id FROM suppressed_profiles AS s)
"""

# The events of consented people: `profile_events` places each resolved event on its profile;
# an event resolved to nobody has nobody's consent.
CONSENTED_EVENTS = f"""
SELECT pe.seq FROM profile_events AS pe WHERE pe.profile_id IN ({CONSENTED_PROFILES})
"""


def consented_count(con: duckdb.DuckDBPyConnection, purpose: str) -> int:
    row = con.execute(f"SELECT count(*) FROM ({CONSENTED_PROFILES})", {"purpose": purpose})
    found = row.fetchone()
    return int(found[0]) if found else 0
