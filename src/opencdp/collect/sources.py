"""Sources: the systems allowed to send data, each with a write key and size limits.

Write keys only let a client *ingest*; they are embedded in web pages and apps by design
(as with Segment), so they are stored as they are and can be shown again.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from opencdp.db.connection import fetch_one
from opencdp.hygiene import normalize_country

HARD_LIMIT_BYTES = 4 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}$")


class SourceError(ValueError):
    """A source operation cannot be done; the message says why."""


class SourceNotFound(SourceError):
    pass


class InvalidSourceSetting(SourceError):
    """A name, limit or region that is not allowed (a bad request, not a conflict)."""


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    write_key: str
    enabled: bool
    max_message_bytes: int | None
    max_batch_bytes: int | None
    created_at: datetime
    key_rotated_at: datetime | None
    default_region: str | None = None  # ISO 3166 region for phone numbers with no country code

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["key_rotated_at"] = self.key_rotated_at.isoformat() if self.key_rotated_at else None
        return data


_COLUMNS = (
    "source_id, name, write_key, enabled, max_message_bytes, max_batch_bytes, created_at,"
    " key_rotated_at, default_region"
)


def new_write_key() -> str:
    return "wk_" + secrets.token_urlsafe(24)


def _check_limit(value: int | None, what: str) -> None:
    if value is not None and not 1024 <= value <= HARD_LIMIT_BYTES:
        raise InvalidSourceSetting(f"{what} must be between 1024 and {HARD_LIMIT_BYTES} bytes")


def create_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    max_message_bytes: int | None = None,
    max_batch_bytes: int | None = None,
    default_region: str | None = None,
) -> Source:
    if not _NAME.match(name):
        raise InvalidSourceSetting(
            "source name must be 1-100 letters, digits, spaces, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    _check_limit(max_message_bytes, "max message size")
    _check_limit(max_batch_bytes, "max batch size")
    region = _region(default_region)
    if fetch_one(con, "SELECT 1 FROM sources WHERE name = ?", [name]):
        raise SourceError(f"a source named {name!r} already exists")
    source_id = "src_" + secrets.token_hex(8)
    con.execute(
        "INSERT INTO sources (source_id, name, write_key, max_message_bytes, max_batch_bytes,"
        " default_region) VALUES (?, ?, ?, ?, ?, ?)",
        [source_id, name, new_write_key(), max_message_bytes, max_batch_bytes, region],
    )
    return get_source(con, name)


def list_sources(con: duckdb.DuckDBPyConnection) -> list[Source]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM sources ORDER BY created_at, name").fetchall()
    return [Source(*row) for row in rows]


def get_source(con: duckdb.DuckDBPyConnection, name_or_id: str) -> Source:
    row = fetch_one(
        con,
        f"SELECT {_COLUMNS} FROM sources WHERE name = ? OR source_id = ?",
        [name_or_id, name_or_id],
    )
    if row is None:
        raise SourceNotFound(f"no source named {name_or_id!r}")
    return Source(*row)


def set_enabled(con: duckdb.DuckDBPyConnection, name_or_id: str, enabled: bool) -> Source:
    source = get_source(con, name_or_id)
    con.execute("UPDATE sources SET enabled = ? WHERE source_id = ?", [enabled, source.source_id])
    return get_source(con, source.source_id)


def set_limits(
    con: duckdb.DuckDBPyConnection,
    name_or_id: str,
    *,
    max_message_bytes: int | None,
    max_batch_bytes: int | None,
) -> Source:
    _check_limit(max_message_bytes, "max message size")
    _check_limit(max_batch_bytes, "max batch size")
    source = get_source(con, name_or_id)
    con.execute(
        "UPDATE sources SET max_message_bytes = ?, max_batch_bytes = ? WHERE source_id = ?",
        [max_message_bytes, max_batch_bytes, source.source_id],
    )
    return get_source(con, source.source_id)


def _region(value: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a region given by code or name; an error if unknown."""
    if value is None:
        return None
    code = normalize_country(value).value
    if code is None:
        raise InvalidSourceSetting(f"unknown region {value!r}: give an ISO 3166 code like TH")
    return code


def set_default_region(
    con: duckdb.DuckDBPyConnection, name_or_id: str, region: str | None
) -> Source:
    """Set (or clear, with None) the region of the source's phone numbers without a country code."""
    code = _region(region)
    source = get_source(con, name_or_id)
    con.execute(
        "UPDATE sources SET default_region = ? WHERE source_id = ?", [code, source.source_id]
    )
    return get_source(con, source.source_id)


def rotate_write_key(con: duckdb.DuckDBPyConnection, name_or_id: str) -> Source:
    """Give the source a new write key; the old one stops working at once."""
    source = get_source(con, name_or_id)
    con.execute(
        "UPDATE sources SET write_key = ?, key_rotated_at = now() WHERE source_id = ?",
        [new_write_key(), source.source_id],
    )
    return get_source(con, source.source_id)
