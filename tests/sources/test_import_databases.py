"""Importing CRM tables from the real PostgreSQL and MariaDB servers, incrementally."""

from __future__ import annotations

import pytest

from opencdp.admin import Admin
from opencdp.sources.databases import DatabaseQuery, DatabaseSourceError, build_sql
from tests.sources.conftest import MARIADB_URL, POSTGRES_URL
from tests.sources.stored import plain

MAPPING = {
    "columns": {
        "id": ["identifier:customer_id", "record_id"],
        "email": "identifier:email",
        "full_name": "trait:full_name",
        "city": "trait:city",
    }
}


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("crm")
    return admin


def _records(admin):
    rows = admin.ws.read(lambda con: con.execute(
        "SELECT record_id, traits->>'city' FROM source_records ORDER BY record_id::INT"
    ).fetchall())  # fmt: skip
    return dict(rows)


def _incremental_scenario(admin, execute, url, table):
    execute(f"INSERT INTO {table} (id, email, full_name, city, updated_at) VALUES "
            "(1, 'A@x.com', 'สมชาย ใจดี', 'Bangkok', '2025-01-01 10:00:00'),"
            "(2, 'b@x.com', '田中 太郎', 'Tokyo', '2025-01-01 11:00:00'),"
            "(3, 'not-an-email', NULL, NULL, '2025-01-01 12:00:00')")  # fmt: skip
    first = admin.import_database("crm", url, MAPPING, table=table, cursor="updated_at")
    assert (first["rows_read"], first["records_stored"]) == (3, 3)
    assert first["cursor_value"].startswith("2025-01-01T12:00:00")
    assert _records(admin) == {"1": "Bangkok", "2": "Tokyo", "3": None}
    traits = admin.ws.read(
        lambda con: con.execute(
            "SELECT traits->'full_name' FROM source_records WHERE record_id = '2'"
        ).fetchall()
    )
    assert [plain(admin.ws.personal, t) for (t,) in traits] == ["田中 太郎"], (
        "Japanese text survives the round trip"
    )

    again = admin.import_database("crm", url, MAPPING, table=table, cursor="updated_at")
    assert again["rows_read"] == 1, "only rows at or after the cursor are read again"
    assert (again["records_stored"], again["unchanged"]) == (0, 1)

    execute(f"UPDATE {table} SET city = 'Osaka', updated_at = '2025-02-01 09:00:00' WHERE id = 2")
    execute(f"INSERT INTO {table} (id, email, full_name, city, updated_at) VALUES "
            "(4, 'd@x.com', 'Emma Smith', 'London', '2025-02-01 10:00:00')")  # fmt: skip
    third = admin.import_database("crm", url, MAPPING, table=table, cursor="updated_at")
    assert third["rows_read"] == 3  # the boundary row, the changed row, the new row
    assert (third["records_stored"], third["unchanged"]) == (2, 1)
    assert _records(admin) == {"1": "Bangkok", "2": "Osaka", "3": None, "4": "London"}
    runs = admin.list_imports("crm")
    assert [r["status"] for r in runs] == ["completed"] * 3


def test_postgres_incremental_import(admin, postgres, table_name):
    postgres.execute(f"CREATE TABLE {table_name} (id INT PRIMARY KEY, email TEXT, full_name TEXT,"
                     " city TEXT, updated_at TIMESTAMP)")  # fmt: skip
    try:
        _incremental_scenario(admin, postgres.execute, POSTGRES_URL, table_name)
    finally:
        postgres.execute(f"DROP TABLE {table_name}")


def test_mariadb_incremental_import(admin, mariadb, table_name):
    cursor = mariadb.cursor()
    cursor.execute(f"CREATE TABLE {table_name} (id INT PRIMARY KEY, email TEXT, full_name TEXT,"
                   " city TEXT, updated_at DATETIME) CHARACTER SET utf8mb4")  # fmt: skip
    try:
        _incremental_scenario(admin, cursor.execute, MARIADB_URL, table_name)
    finally:
        cursor.execute(f"DROP TABLE {table_name}")


def test_postgres_query_import(admin, postgres, table_name):
    postgres.execute(f"CREATE TABLE {table_name} (id INT, email TEXT, full_name TEXT, city TEXT,"
                     " updated_at TIMESTAMP)")  # fmt: skip
    postgres.execute(f"INSERT INTO {table_name} VALUES (1, 'a@x.com', 'A', 'Bangkok', now()),"
                     " (2, 'b@x.com', 'B', 'Tokyo', now())")  # fmt: skip
    try:
        report = admin.import_database(
            "crm", POSTGRES_URL, MAPPING, query=f"SELECT * FROM {table_name} WHERE city = 'Tokyo'"
        )
        assert report["records_stored"] == 1
    finally:
        postgres.execute(f"DROP TABLE {table_name}")


def test_import_history_keeps_no_password(admin, postgres, table_name):
    postgres.execute(f"CREATE TABLE {table_name} (id INT, email TEXT, full_name TEXT, city TEXT)")
    postgres.execute(f"INSERT INTO {table_name} VALUES (1, 'a@x.com', 'A', 'Bangkok')")
    url = POSTGRES_URL.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
    try:
        admin.import_database("crm", url, MAPPING, table=table_name)
    finally:
        postgres.execute(f"DROP TABLE {table_name}")
    (run,) = admin.list_imports("crm")
    assert "s3cret-pw" not in str(run) and table_name in run["location"]


def test_identifiers_are_quoted_and_values_bound():
    sql, params = build_sql(DatabaseQuery(POSTGRES_URL, table='crm"; DROP TABLE x; --',
                                          cursor="updated_at"), "2025-01-01")  # fmt: skip
    assert sql == ('SELECT * FROM "crm""; DROP TABLE x; --" WHERE "updated_at" >= %s'
                   ' ORDER BY "updated_at"')  # fmt: skip
    assert params == ["2025-01-01"]
    sql, _ = build_sql(DatabaseQuery(MARIADB_URL, table="shop.orders", cursor="id`x"), None)
    assert sql == "SELECT * FROM `shop`.`orders` ORDER BY `id``x`"


def test_unreachable_database_is_a_clear_error(admin):
    with pytest.raises(DatabaseSourceError, match="cannot connect"):
        admin.import_database("crm", "postgresql://nobody@127.0.0.1:1/none", MAPPING, table="t")
    with pytest.raises(DatabaseSourceError, match="unsupported database"):
        admin.import_database("crm", "oracle://x/y", MAPPING, table="t")
