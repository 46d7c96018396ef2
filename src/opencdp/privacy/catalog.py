"""Which tables hold data about a person, and what access and erasure do with each.

Every table of the database is in exactly one of these lists, and a test fails when one is
not (so a table someone adds later is classified before it ships):

* `PERSONAL`: rows about one person; the access export has a section for it and erasure
  deletes the person's rows.
* `KEPT`: per-person only as keyed hashes or pseudonymous proof that must stay (the audit
  trail, the record of the request itself, the suppression list); exported where useful,
  never erased.
* `NOT_PERSONAL`: configuration, counters, history of runs; nothing about a data subject.

A table not listed that has a `profile_id` column is handled generically: exported under
`other_tables` and erased by profile id (e.g. `profile_recommendations`).
"""

from __future__ import annotations

import duckdb

# table → the section of the access export holding its rows
PERSONAL: dict[str, str] = {
    "events": "events",
    "profile_events": "events",  # each event on its profile: the same events, placed
    "profile_events_by_profile": "events",
    "profiles": "profile",
    "profile_consents": "consents",
    "consent_ledger": "consent_ledger",
    "profile_predictions": "predictions",
    "computed_trait_positions": "computed_traits",
    "segment_members": "segments",
    "segment_history": "segment_history",
    "destination_state": "destinations",
    "destination_dead_letters": "destinations",
    "suppressed_profiles": "suppressed_profiles",
    "identity_links": "identifiers",
    "identity_merges": "identity",
    "identity_violations": "identity",
    "identity_matches": "identity",
    "identity_unmerged": "identity",
    "source_records": "records",
    "quarantine": "quarantine",
    # field encryption: each identifier's plaintext, sealed under its own key (erasure
    # deletes the person's rows and destroys the keys, `shred`); the export shows the
    # plaintexts in place of the pseudonyms, in `identifiers` and everywhere else
    "identifier_values": "identifiers",
}

# table → why its rows stay after an erasure
KEPT: dict[str, str] = {
    "privacy_requests": "the request and its receipt, the proof of erasure: subject kept "
    "only as a keyed hash once done (exported as `privacy_requests`)",
    "suppressions": "keyed hashes of erased identifiers (with field encryption on, their "
    "stored pseudonyms), so they are dropped from then on",
    "audit_log": "append-only, hash-chained access history; profiles appear only as keyed "
    "hashes and sealed ids, so nothing readable stays after erasure",
}

NOT_PERSONAL: dict[str, str] = {
    "schema_migrations": "schema versions",
    "crypto_state": "the data directory's field-encryption mode (one row, no keys)",
    "sources": "configured sources and write keys",
    "imports": "import runs: file locations and counts",
    "derived_cursors": "positions of derived stages in the log",
    "computed_traits": "trait definitions (state: population thresholds)",
    "segments": "segment definitions and counts",
    "destinations": "destination settings",
    "destination_syncs": "sync runs: counts and reasons, never personal data",
    "consent_purposes": "registered processing purposes",
    "retention_policies": "retention settings",
    "suppression_drops": "counts of dropped messages per source and day",
    "users": "operators who log in (staff accounts, not data subjects)",
    "api_tokens": "operators' API tokens, hashed",
    "audit_alerts": "unusual-access alerts about operators",
    "prediction_specs": "what to predict and how often",
    "prediction_models": "training runs: data windows, parameters and quality, no rows per person",
}


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every base table of the database with its columns."""
    rows = con.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position)"
        " FROM information_schema.columns c WHERE table_schema = 'main'"
        " AND table_name IN (SELECT table_name FROM information_schema.tables"
        "  WHERE table_schema = 'main' AND table_type = 'BASE TABLE')"
        " GROUP BY table_name ORDER BY table_name"
    ).fetchall()
    return {str(name): list(columns) for name, columns in rows}


def generic(present: dict[str, list[str]]) -> list[str]:
    """Of `present` (`tables()`), those not classified here that have a `profile_id` column
    (handled by profile id)."""
    known = PERSONAL.keys() | KEPT.keys() | NOT_PERSONAL.keys()
    return [t for t, columns in present.items() if t not in known and "profile_id" in columns]


def unclassified(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables neither listed here nor handled generically: each needs a decision."""
    known = PERSONAL.keys() | KEPT.keys() | NOT_PERSONAL.keys()
    return [t for t, columns in tables(con).items()
            if t not in known and "profile_id" not in columns]  # fmt: skip
