"""Deriving a few profiles' golden records and consents again after rows were deleted.

Erasure (another person's event carried the erased identifier) and retention (old events
and records are gone) remove rows a golden record was derived from. The profile stage's own
rewrite runs for just those profiles (found by integer key, as a real-time update does),
so what remains is exactly what a rebuild would derive from the rows left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from opencdp.profiles import materialize


def rederive_profiles(con: duckdb.DuckDBPyConnection, profile_ids: Sequence[str]) -> None:
    """Rewrite the golden record and consents of `profile_ids` from the rows that remain."""
    if not profile_ids:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _touched AS SELECT p AS profile_id,"
        " md5_number_upper(p) AS profile_key FROM unnest($ids::VARCHAR[]) t(p)",
        {"ids": sorted(set(profile_ids))},
    )
    materialize._rewrite_profiles(con, everyone=False)  # the profile stage's own rewrite
    # A profile whose last identifier went has no golden record any more.
    con.execute("DELETE FROM profiles WHERE profile_id IN (SELECT profile_id FROM _touched)"
                " AND profile_id NOT IN (SELECT profile_id FROM identity_links)")  # fmt: skip
    _rederive_consents(con)
    con.execute("DROP TABLE IF EXISTS _touched")
    con.execute("DROP TABLE IF EXISTS _fresh")
    con.execute("DROP TABLE IF EXISTS _latest")


def _rederive_consents(con: duckdb.DuckDBPyConnection) -> None:
    from opencdp.privacy import ledger  # the consent ledger (privacy stage, consent part)

    con.execute("CREATE OR REPLACE TEMP TABLE _consent_touched AS SELECT profile_id"
                " FROM _touched")  # fmt: skip
    ledger.derive(con, "_consent_touched", now=datetime.now(UTC))
    con.execute("DROP TABLE _consent_touched")
