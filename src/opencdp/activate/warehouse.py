"""Reverse ETL: keeping a PostgreSQL or MySQL/MariaDB table equal to the audience.

The table (created if missing, `profile_id` as primary key, one TEXT column per chosen trait
and `synced_at`) is changed in one transaction per sync: members are upserted, leavers
deleted; a full sync also deletes every row that is not a current member. Writes are
set-based so 500,000 members take seconds: PostgreSQL COPYs into a temporary table and
upserts from it with one INSERT … ON CONFLICT; MySQL/MariaDB gets multi-row INSERT …
ON DUPLICATE KEY UPDATE statements (PyMySQL's executemany batches the VALUES lists).
Identifiers are validated at creation and quoted; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse

import orjson

from opencdp.activate.audience import Plan
from opencdp.activate.catalog import Destination
from opencdp.activate.outcome import Outcome

KEY_TYPE = "VARCHAR(191)"  # fits a utf8mb4 primary key in every MySQL row format
DELETE_CHUNK = 5_000


def deliver_database(destination: Destination, plan: Plan, now: datetime) -> Outcome:
    url, table, traits = (destination.config[k] for k in ("url", "table", "traits"))
    members = plan.of("entered", "updated", "unchanged")
    rows = [[c.profile_id, *(_text(c.values.get(t)) for t in traits), now] for c in members]
    leavers = [c.profile_id for c in plan.of("exited")]
    full = plan.mode == "full"
    try:
        if _dialect(url) == "postgresql":
            _postgres(url, table, traits, rows, leavers, full)
        else:
            _mysql(url, table, traits, rows, leavers, full)
    except Exception as exc:  # any driver error fails the sync with its reason
        reason = str(exc).splitlines()[0][:300] if str(exc) else ""
        return Outcome(errors=[f"database: {type(exc).__name__}: {reason}"])
    return Outcome(delivered=list(plan.changes))


def _dialect(url: str) -> str:
    scheme = urlparse(url).scheme.split("+")[0]
    return "postgresql" if scheme in ("postgres", "postgresql") else "mysql"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _pg(name: str) -> str:
    return ".".join(f'"{part}"' for part in name.split("."))


def _my(name: str) -> str:
    return ".".join(f"`{part}`" for part in name.split("."))


def _postgres(url: str, table: str, traits: list[str], rows: list[list[Any]],
              leavers: list[str], full: bool) -> None:  # fmt: skip
    import psycopg

    target = _pg(table)
    columns = ["profile_id", *traits, "synced_at"]
    names = ", ".join(_pg(c) for c in columns)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        trait_defs = "".join(f", {_pg(t)} TEXT" for t in traits)
        con.execute(f"CREATE TABLE IF NOT EXISTS {target} (profile_id {KEY_TYPE} PRIMARY KEY"
                    f"{trait_defs}, synced_at TIMESTAMPTZ NOT NULL)")  # fmt: skip
        schema, _, bare = table.rpartition(".")
        found = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND table_schema = coalesce(nullif(%s, ''), current_schema())",
            [bare, schema],
        )
        have = {r[0] for r in found}
        for trait in traits:
            if trait not in have:
                con.execute(f"ALTER TABLE {target} ADD COLUMN {_pg(trait)} TEXT")
        con.execute(f"CREATE TEMP TABLE _opencdp_stage (profile_id {KEY_TYPE} PRIMARY KEY"
                    f"{trait_defs}, synced_at TIMESTAMPTZ NOT NULL) ON COMMIT DROP")  # fmt: skip
        with con.cursor().copy(f"COPY _opencdp_stage ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        updates = ", ".join(f"{_pg(c)} = EXCLUDED.{_pg(c)}" for c in columns[1:])
        con.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM _opencdp_stage"
                    f" ON CONFLICT (profile_id) DO UPDATE SET {updates}")  # fmt: skip
        if leavers:
            con.execute(f"DELETE FROM {target} WHERE profile_id = ANY(%s)", [leavers])
        if full:
            con.execute(f"DELETE FROM {target} AS t WHERE NOT EXISTS (SELECT 1 FROM"
                        " _opencdp_stage AS s WHERE s.profile_id = t.profile_id)")  # fmt: skip


def _mysql(url: str, table: str, traits: list[str], rows: list[list[Any]],
           leavers: list[str], full: bool) -> None:  # fmt: skip
    import pymysql

    parsed = urlparse(url)
    con = pymysql.connect(
        host=parsed.hostname or "127.0.0.1", port=parsed.port or 3306,
        user=unquote(parsed.username or "root"), password=unquote(parsed.password or ""),
        database=parsed.path.lstrip("/") or None, charset="utf8mb4", autocommit=False,
    )  # fmt: skip
    target = _my(table)
    columns = ["profile_id", *traits, "synced_at"]
    try:
        cur = con.cursor()
        trait_defs = "".join(f", {_my(t)} TEXT" for t in traits)
        cur.execute(f"CREATE TABLE IF NOT EXISTS {target} (profile_id {KEY_TYPE} PRIMARY KEY"
                    f"{trait_defs}, synced_at DATETIME(6) NOT NULL)"
                    " CHARACTER SET utf8mb4")  # fmt: skip
        schema, _, bare = table.rpartition(".")
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND table_schema = coalesce(nullif(%s, ''), DATABASE())",
            [bare, schema],
        )
        have = {r[0] for r in cur.fetchall()}
        for trait in traits:
            if trait not in have:
                cur.execute(f"ALTER TABLE {target} ADD COLUMN {_my(trait)} TEXT")
        naive = [[*row[:-1], row[-1].replace(tzinfo=None)] for row in rows]
        names = ", ".join(_my(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        updates = ", ".join(f"{_my(c)} = VALUES({_my(c)})" for c in columns[1:])
        cur.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})"
                        f" ON DUPLICATE KEY UPDATE {updates}", naive)  # fmt: skip
        for start in range(0, len(leavers), DELETE_CHUNK):
            chunk = leavers[start : start + DELETE_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM {target} WHERE profile_id IN ({marks})", chunk)
        if full:
            cur.execute(
                f"CREATE TEMPORARY TABLE _opencdp_stage (profile_id {KEY_TYPE} PRIMARY KEY)"
            )
            cur.executemany("INSERT INTO _opencdp_stage (profile_id) VALUES (%s)",
                            [[row[0]] for row in rows])  # fmt: skip
            cur.execute(f"DELETE t FROM {target} AS t LEFT JOIN _opencdp_stage AS s"
                        " ON s.profile_id = t.profile_id WHERE s.profile_id IS NULL")  # fmt: skip
            cur.execute("DROP TEMPORARY TABLE _opencdp_stage")
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.close()


def delete_profiles(config: dict[str, Any], profile_ids: list[str]) -> int:
    """Delete these profiles' rows from the destination's table (an erasure: opencdp wrote
    them with the credentials it holds); returns rows deleted. A table not created yet
    holds nobody."""
    if not profile_ids:
        return 0
    url, table = config["url"], config["table"]
    if _dialect(url) == "postgresql":
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
            found = con.execute("SELECT to_regclass(%s)", [_pg(table)]).fetchone()
            if found is None or found[0] is None:
                return 0
            cur = con.execute(f"DELETE FROM {_pg(table)} WHERE profile_id = ANY(%s)",
                              [profile_ids])  # fmt: skip
            return max(cur.rowcount, 0)
    return _mysql_delete(url, table, profile_ids)


def _mysql_delete(url: str, table: str, profile_ids: list[str]) -> int:
    import pymysql

    parsed = urlparse(url)
    con = pymysql.connect(
        host=parsed.hostname or "127.0.0.1", port=parsed.port or 3306,
        user=unquote(parsed.username or "root"), password=unquote(parsed.password or ""),
        database=parsed.path.lstrip("/") or None, charset="utf8mb4", autocommit=False,
    )  # fmt: skip
    try:
        cur = con.cursor()
        schema, _, bare = table.rpartition(".")
        cur.execute("SELECT 1 FROM information_schema.tables WHERE table_name = %s"
                    " AND table_schema = coalesce(nullif(%s, ''), DATABASE())",
                    [bare, schema])  # fmt: skip
        if not cur.fetchall():
            return 0
        deleted = 0
        for start in range(0, len(profile_ids), DELETE_CHUNK):
            chunk = profile_ids[start : start + DELETE_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            deleted += int(cur.execute(f"DELETE FROM {_my(table)} WHERE profile_id IN ({marks})",
                                       chunk))  # fmt: skip
        con.commit()
        return deleted
    except Exception:
        con.rollback()
        raise
    finally:
        con.close()
