"""Real PostgreSQL and MariaDB servers (started by scripts/services) for database imports."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pymysql
import pytest

POSTGRES_URL = os.environ.get("OPENCDP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("OPENCDP_TEST_MARIADB", "mysql://root@127.0.0.1:3306/test")


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc}); run scripts/services"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres() -> Iterator[psycopg.Connection]:
    try:
        con = psycopg.connect(POSTGRES_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    yield con
    con.close()


@pytest.fixture
def mariadb() -> Iterator[pymysql.connections.Connection]:
    try:
        con = pymysql.connect(host="127.0.0.1", port=3306, user="root", database="test",
                              autocommit=True, charset="utf8mb4")  # fmt: skip
    except pymysql.err.OperationalError as exc:
        _unavailable("MariaDB", exc)
    yield con
    con.close()


@pytest.fixture
def table_name() -> str:
    return "crm_" + secrets.token_hex(4)
