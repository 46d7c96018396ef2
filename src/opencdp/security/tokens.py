"""API and session tokens: issued once, kept only as a SHA-256 hash, scoped, expiring.

A token reads `ocdp_<16 hex: token id>_<43 chars: 256-bit secret>`. The id finds the row by
primary key; the SHA-256 of the whole token is compared in constant time. A keyed hash would
add nothing here: the secret has 256 bits of entropy, so the hash cannot be brute-forced, and
the token stays valid when the master key is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from opencdp.security.errors import TokenNotFound

PREFIX = "ocdp_"
_ID_HEX = 16
_SHOWN = len(PREFIX) + _ID_HEX  # `prefix` column: enough to recognise a token in a list
KINDS = ("api", "session")


@dataclass(frozen=True)
class TokenRecord:
    """A stored token joined with its owner (never the secret, never the hash)."""

    token_id: str
    user_id: str
    user: str
    role: str
    user_disabled: bool
    kind: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "token_id": self.token_id, "user": self.user, "kind": self.kind, "name": self.name,
            "prefix": self.prefix, "scopes": list(self.scopes), "status": self.status(now),
            "created_at": self.created_at.isoformat(), "expires_at": _iso(self.expires_at),
            "last_used_at": _iso(self.last_used_at), "revoked_at": _iso(self.revoked_at),
            "created_by": self.created_by,
        }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def new_token() -> tuple[str, str]:
    """A fresh (token id, full token text)."""
    token_id = secrets.token_hex(_ID_HEX // 2)
    return token_id, f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_id_of(token: str) -> str | None:
    """The id part of a well-formed token, else None (a write key, garbage, another secret)."""
    if not token.startswith(PREFIX) or len(token) < _SHOWN + 2 or token[_SHOWN] != "_":
        return None
    token_id = token[len(PREFIX) : _SHOWN]
    return token_id if all(c in "0123456789abcdef" for c in token_id) else None


def insert_token(
    con: duckdb.DuckDBPyConnection,
    *,
    token_id: str,
    token: str,
    user_id: str,
    kind: str,
    name: str,
    scopes: list[str],
    now: datetime,
    expires_at: datetime | None,
    created_by: str,
) -> None:
    con.execute(
        "INSERT INTO api_tokens (token_id, user_id, kind, name, token_hash, prefix, scopes,"
        " created_at, expires_at, last_used_at, revoked_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
        [token_id, user_id, kind, name, token_hash(token), token[:_SHOWN], sorted(scopes),
         now, expires_at, created_by],
    )  # fmt: skip


_SELECT = (
    "SELECT t.token_id, t.user_id, u.name, u.role, u.disabled, t.kind, t.name, t.prefix,"
    " t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.created_by"
    " FROM api_tokens t JOIN users u USING (user_id)"
)


def _record(row: tuple[Any, ...]) -> TokenRecord:
    values = list(row)
    values[8] = tuple(values[8])
    return TokenRecord(*values)


def verify(con: duckdb.DuckDBPyConnection, token: str) -> TokenRecord | None:
    """The record of a presented token if it exists and its hash matches (status unchecked)."""
    token_id = token_id_of(token)
    if token_id is None:
        return None
    row = con.execute(
        _SELECT.replace("SELECT ", "SELECT t.token_hash, ", 1) + " WHERE t.token_id = ?",
        [token_id],
    ).fetchone()
    if row is None or not hmac.compare_digest(bytes(row[0]), token_hash(token)):
        return None
    return _record(row[1:])


def get_token(con: duckdb.DuckDBPyConnection, token_id: str) -> TokenRecord:
    row = con.execute(_SELECT + " WHERE t.token_id = ?", [token_id]).fetchone()
    if row is None:
        raise TokenNotFound(f"no token {token_id!r}")
    return _record(row)


def list_tokens(
    con: duckdb.DuckDBPyConnection, user_id: str | None = None, kind: str | None = None
) -> list[TokenRecord]:
    rows = con.execute(
        _SELECT + " WHERE (?::VARCHAR IS NULL OR t.user_id = ?)"
        " AND (?::VARCHAR IS NULL OR t.kind = ?) ORDER BY t.created_at, t.token_id",
        [user_id, user_id, kind, kind],
    ).fetchall()
    return [_record(r) for r in rows]


def revoke(con: duckdb.DuckDBPyConnection, token_id: str, now: datetime) -> TokenRecord:
    get_token(con, token_id)
    con.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
        [now, token_id],
    )
    return get_token(con, token_id)


def revoke_all(
    con: duckdb.DuckDBPyConnection, user_id: str, now: datetime, keep: str | None = None
) -> int:
    """Revoke every active session and API token of a user but `keep`; how many."""
    rows = con.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > ?) AND token_id IS DISTINCT FROM ?"
        " RETURNING token_id",
        [now, user_id, now, keep],
    ).fetchall()
    return len(rows)


def touch(con: duckdb.DuckDBPyConnection, used: dict[str, datetime]) -> None:
    """Record when tokens were last used (batched; the exact second does not matter)."""
    for token_id, when in used.items():
        con.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?", [when, token_id])
