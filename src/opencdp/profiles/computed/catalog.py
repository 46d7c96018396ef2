"""The stored definitions (`computed_traits`): define, read, delete, register the built-ins.

A definition is validated before it is stored, so every stored row compiles; deleting a trait
also removes its value from every profile.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from opencdp.crypto.personal import personal_data
from opencdp.profiles.computed.builtins import BUILTIN_TRAITS
from opencdp.profiles.computed.definition import (
    InvalidComputedTrait,
    TraitDefinition,
    check_name,
    parse_definition,
)
from opencdp.profiles.computed.sealed import check_sealed, sealed_plan

COLUMNS = "name, definition, builtin, created_at, updated_at, computed_at"


class ComputedTraitNotFound(LookupError):
    """No computed trait of that name."""


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    name, definition, builtin, created, updated, computed = row
    return {"name": name, "definition": json.loads(definition), "builtin": builtin,
            "created_at": created, "updated_at": updated, "computed_at": computed}  # fmt: skip


def define(con: duckdb.DuckDBPyConnection, name: str, definition: object) -> dict[str, Any]:
    """Create or replace a user trait; raise InvalidComputedTrait (also for a built-in's name)."""
    check_name(name)
    check_sealed(parse_definition(definition), personal_data(con))
    found = con.execute("SELECT builtin FROM computed_traits WHERE name = ?", [name]).fetchone()
    if found is not None and found[0]:
        raise InvalidComputedTrait(f"{name} is a built-in computed trait; choose another name")
    text = json.dumps(definition, sort_keys=True)
    if found is None:
        con.execute("INSERT INTO computed_traits (name, definition) VALUES (?, ?)", [name, text])
    else:
        con.execute(
            "UPDATE computed_traits SET definition = ?, updated_at = now(), computed_at = NULL,"
            " state = NULL WHERE name = ?", [text, name],
        )  # fmt: skip
        con.execute("DELETE FROM computed_trait_positions WHERE name = ?", [name])
    return get_trait(con, name)


def list_traits(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(f"SELECT {COLUMNS} FROM computed_traits ORDER BY name").fetchall()
    return [_row(r) for r in rows]


def get_trait(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    row = con.execute(f"SELECT {COLUMNS} FROM computed_traits WHERE name = ?", [name]).fetchone()
    if row is None:
        raise ComputedTraitNotFound(f"no computed trait named {name!r}")
    return _row(row)


def delete_trait(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete the definition and its value on every profile (built-ins too; re-register them
    with `register_builtins`)."""
    get_trait(con, name)
    con.execute("DELETE FROM computed_traits WHERE name = ?", [name])
    con.execute("DELETE FROM computed_trait_positions WHERE name = ?", [name])
    con.execute(
        "UPDATE profiles SET computed = json_merge_patch(computed, json_object(?, NULL))"
        " WHERE json_exists(computed, ?)", [name, '$."' + name + '"'],
    )  # fmt: skip


def register_builtins(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Insert the built-in traits that are missing or changed; return the names written."""
    written = []
    for name, definition in BUILTIN_TRAITS.items():
        text = json.dumps(definition, sort_keys=True)
        row = con.execute("SELECT definition FROM computed_traits WHERE name = ?",
                          [name]).fetchone()  # fmt: skip
        if row is not None and json.loads(row[0]) == definition:
            continue
        con.execute("DELETE FROM computed_traits WHERE name = ?", [name])
        con.execute(
            "INSERT INTO computed_traits (name, definition, builtin) VALUES (?, ?, true)",
            [name, text],
        )  # fmt: skip
        written.append(name)
    return written


def load_definitions(
    con: duckdb.DuckDBPyConnection, names: list[str] | None = None
) -> list[tuple[str, TraitDefinition]]:
    """The stored definitions (all, or the named ones in that order), parsed as they run
    (sealed properties compared by tag when field encryption is on)."""
    rows = dict(con.execute("SELECT name, definition FROM computed_traits").fetchall())
    chosen = sorted(rows) if names is None else names
    missing = [n for n in chosen if n not in rows]
    if missing:
        raise ComputedTraitNotFound(f"no computed traits named {missing}")
    personal = personal_data(con)
    return [(n, sealed_plan(parse_definition(json.loads(rows[n])), personal)) for n in chosen]
