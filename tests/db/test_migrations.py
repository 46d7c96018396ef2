"""Migrations upgrade an existing data directory in place, once."""

from __future__ import annotations

import duckdb

from opencdp.db import open_database
from opencdp.db.migrations import available_migrations, migrate


def tables(con):
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def test_an_old_database_is_upgraded_in_place_keeping_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO sources (source_id, name, write_key) VALUES ('s1', 'web', 'k1')")
    con.close()

    con = open_database(path)
    latest = len(available_migrations())
    versions = [
        r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    ]
    assert versions == list(range(1, latest + 1))
    assert {"events", "quarantine"} <= tables(con)
    assert con.execute("SELECT name FROM sources").fetchall() == [("web",)]
    con.close()

    con = open_database(path)
    assert migrate(con) == [], "a current database is left alone"
    con.close()


def test_migration_numbers_are_contiguous():
    assert [m.version for m in available_migrations()] == list(
        range(1, len(available_migrations()) + 1)
    )
