"""Users: name, role, argon2 password hash, enabled or not (rows of `users`).

Plain functions over a connection; hashing and verification happen outside (they are slow
on purpose and must not run on the single writer thread).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from opencdp.security.errors import InvalidSecurityRequest, UserExists, UserNotFound
from opencdp.security.roles import check_role

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+\-]{0,99}$")
_COLUMNS = "user_id, name, role, disabled, created_at, updated_at, password_changed_at"


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str
    disabled: bool
    created_at: datetime
    updated_at: datetime
    password_changed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id, "name": self.name, "role": self.role,
            "disabled": self.disabled, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "password_changed_at": _iso(self.password_changed_at),
        }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidSecurityRequest(
            "a user name is 1-100 letters, digits and . _ @ + -, starting with a letter or digit"
        )
    return name


def create_user(
    con: duckdb.DuckDBPyConnection, name: str, role: str, password_hash: str | None, now: datetime
) -> User:
    check_name(name)
    check_role(role)
    if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise UserExists(f"a user named {name!r} already exists")
    user_id = "usr_" + secrets.token_hex(8)
    con.execute(
        "INSERT INTO users (user_id, name, role, password_hash, disabled, created_at,"
        " updated_at, password_changed_at) VALUES (?, ?, ?, ?, false, ?, ?, ?)",
        [user_id, name, role, password_hash, now, now, now if password_hash else None],
    )
    return get_user(con, name)


def _row(row: tuple[Any, ...]) -> User:
    return User(*row)


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User:
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", [name]).fetchone()
    if row is None:
        raise UserNotFound(f"no user named {name!r}")
    return _row(row)


def find_user(con: duckdb.DuckDBPyConnection, name: str) -> tuple[User | None, str | None]:
    """The user and their password hash (for a login), or (None, None)."""
    row = con.execute(
        f"SELECT {_COLUMNS}, password_hash FROM users WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        return None, None
    return _row(row[:-1]), row[-1]


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
    return [_row(r) for r in rows]


def update_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    now: datetime,
    role: str | None = None,
    disabled: bool | None = None,
) -> User:
    user = get_user(con, name)
    if role is not None:
        check_role(role)
    con.execute(
        "UPDATE users SET role = ?, disabled = ?, updated_at = ? WHERE user_id = ?",
        [role or user.role, user.disabled if disabled is None else disabled, now, user.user_id],
    )
    return get_user(con, name)


def set_password_hash(
    con: duckdb.DuckDBPyConnection, name: str, password_hash: str, now: datetime
) -> User:
    user = get_user(con, name)
    con.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ?"
        " WHERE user_id = ?",
        [password_hash, now, now, user.user_id],
    )
    return get_user(con, name)
