"""A migrated in-memory DuckDB with profiles, consents and one segment, built by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import duckdb
import pytest

from opencdp.db.migrations import migrate
from tests.sources.conftest import mariadb, postgres, table_name  # noqa: F401  (fixtures)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEGMENT = "seg-vip"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    migrate(connection)
    connection.execute(
        "INSERT INTO segments (segment_id, name, definition, text) VALUES (?, 'VIP', '{}', 'vip')",
        [SEGMENT],
    )
    yield connection
    connection.close()


def add_profile(
    con: duckdb.DuckDBPyConnection,
    profile_id: str,
    traits: dict[str, object],
    *,
    consents: dict[str, bool] | None = None,
    identifiers: dict[str, str] | None = None,
    computed: dict[str, object] | None = None,
) -> None:
    con.execute(
        "INSERT INTO profiles (profile_id, traits, trait_times, computed, updated_at)"
        " VALUES (?, ?, '{}', ?, ?)",
        [profile_id, json.dumps(traits), json.dumps(computed or {}), NOW],
    )
    for purpose, granted in (consents or {}).items():
        set_consent(con, profile_id, purpose, granted)
    for kind, value in (identifiers or {}).items():
        con.execute("INSERT INTO identity_links VALUES (?, ?, ?)", [kind, value, profile_id])


def set_traits(con: duckdb.DuckDBPyConnection, profile_id: str, traits: dict[str, object]) -> None:
    con.execute(
        "UPDATE profiles SET traits = ? WHERE profile_id = ?", [json.dumps(traits), profile_id]
    )


def set_consent(
    con: duckdb.DuckDBPyConnection, profile_id: str, purpose: str, granted: bool
) -> None:
    con.execute(
        "DELETE FROM profile_consents WHERE profile_id = ? AND purpose = ?", [profile_id, purpose]
    )
    con.execute(
        "INSERT INTO profile_consents (profile_id, purpose, granted, stated_at, origin)"
        " VALUES (?, ?, ?, ?, 'api')",
        [profile_id, purpose, granted, NOW],
    )


def set_members(
    con: duckdb.DuckDBPyConnection, profile_ids: list[str], segment: str = SEGMENT
) -> None:
    con.execute("DELETE FROM segment_members WHERE segment_id = ?", [segment])
    for profile_id in profile_ids:
        con.execute("INSERT INTO segment_members (segment_id, profile_id, entered_at)"
                    " VALUES (?, ?, ?)", [segment, profile_id, NOW])  # fmt: skip
