"""The workspace's own purposes and extra purpose names, kept in `consent_purposes`.

A business processes data for purposes of its own ("loyalty_programme", "research") and its
consent platform names categories by ids of its own ("C0004"). Registering them here makes
them valid wherever a purpose is named and lets the ledger read statements made under them.
"""

from __future__ import annotations

from typing import Any

import duckdb

from opencdp.privacy.consent import (
    ALIASES,
    PURPOSES,
    canonical_purpose,
    check_alias,
    check_purpose_name,
)


def registered(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every registered name (custom purposes and aliases) → the purpose it stands for."""
    names: dict[str, str] = {}
    for purpose, aliases, builtin in con.execute(
        "SELECT purpose, aliases, builtin FROM consent_purposes ORDER BY purpose"
    ).fetchall():
        if not builtin:
            names[purpose] = purpose
        for alias in aliases or []:
            names[alias] = purpose
    return names


def resolve(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """`canonical_purpose` with the workspace's registered purposes."""
    return canonical_purpose(name, registered(con))


def alias_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, purpose) for every name a statement may use: built-in and registered."""
    return sorted({**ALIASES, **registered(con)}.items())


def add_purpose(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    description: str | None = None,
    aliases: list[str] | None = None,
) -> dict[str, Any]:
    """Register a custom purpose, or (for a built-in one) extra names for it."""
    builtin = name.strip().lower() in PURPOSES
    purpose = name.strip().lower() if builtin else check_purpose_name(name)
    extra = sorted({check_alias(a) for a in aliases or []})
    taken = registered(con)
    for alias in extra:
        if taken.get(alias, purpose) != purpose:
            raise ValueError(f"alias {alias!r} already names the purpose {taken[alias]!r}")
    row = con.execute("SELECT aliases FROM consent_purposes WHERE purpose = ?",
                      [purpose]).fetchone()  # fmt: skip
    if row is None:
        if purpose in taken:
            raise ValueError(f"{purpose!r} is already an alias of {taken[purpose]!r}")
        con.execute(
            "INSERT INTO consent_purposes (purpose, description, aliases, builtin)"
            " VALUES (?, ?, ?, ?)",
            [purpose, description, extra, builtin],
        )
    elif not builtin and not extra and description is None:
        raise ValueError(f"the purpose {purpose!r} is already registered")
    else:
        con.execute(
            "UPDATE consent_purposes SET aliases = list_sort(list_distinct(aliases || ?)),"
            " description = coalesce(?, description) WHERE purpose = ?",
            [extra, description, purpose],
        )
    return describe(con, purpose)


def describe(con: duckdb.DuckDBPyConnection, purpose: str) -> dict[str, Any]:
    purpose = resolve(con, purpose)
    builtin_aliases = sorted(a for a, p in ALIASES.items() if p == purpose and a != purpose)
    row = con.execute("SELECT description, aliases, created_at FROM consent_purposes"
                      " WHERE purpose = ?", [purpose]).fetchone()  # fmt: skip
    description, aliases, created = row if row else (None, [], None)
    return {
        "purpose": purpose,
        "builtin": purpose in PURPOSES,
        "description": description,
        "aliases": sorted({*builtin_aliases, *(aliases or [])}),
        "registered_at": created.isoformat() if created else None,
    }


def list_purposes(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Built-in purposes first, then the registered ones, each with every name it goes by."""
    custom = [r[0] for r in con.execute(
        "SELECT purpose FROM consent_purposes WHERE NOT builtin ORDER BY purpose").fetchall()]
    return [describe(con, p) for p in (*PURPOSES, *custom)]
