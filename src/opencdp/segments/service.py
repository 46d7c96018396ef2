"""Segments as the API and CLI see them: define, preview, evaluate, list members.

A definition arrives as text or as its JSON tree; it is validated by compiling it against
the workspace's computed traits and segments before it is stored, so a stored segment
always compiles. Segments that use `in_segment` are evaluated after the segments they use
(a definition that would make a cycle is refused).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import duckdb
import orjson
from sqlglot import exp

from opencdp.crypto.personal import personal_data
from opencdp.privacy.consent import purposes_scope
from opencdp.privacy.enforce import CONSENTED_PROFILES
from opencdp.privacy.purposes import registered as registered_purposes
from opencdp.profiles.computed.sealed import sealed_traits
from opencdp.segments import membership
from opencdp.segments.compiler import CompiledSegment, compile_segment
from opencdp.segments.errors import InvalidSegment
from opencdp.segments.json_form import from_json, to_json
from opencdp.segments.parser import parse
from opencdp.segments.references import referenced_segments
from opencdp.segments.sealed import Sealing
from opencdp.segments.text import to_text
from opencdp.segments.tree import Node


class SegmentNotFound(LookupError):
    """No segment has that name."""


def read_definition(
    text: str | None, definition: Any, purposes: Mapping[str, str] | None = None
) -> Node:
    """The tree of a definition given as text or as JSON (exactly one of them); `purposes`:
    the workspace's registered consent purposes (`privacy.purposes.registered`)."""
    if (text is None) == (definition is None):
        raise InvalidSegment("give the segment either as text (`where`) or as a JSON tree")
    with purposes_scope(purposes or {}):
        if text is not None:
            return parse(text)
        return from_json(definition)


def compile_tree(
    con: duckdb.DuckDBPyConnection, tree: Node, *, restrict_to: str | None = None
) -> CompiledSegment:
    computed, segments, purposes, sealing = compile_context(con)
    with purposes_scope(dict(purposes)):
        return compile_segment(tree, computed=computed, segments=dict(segments),
                               restrict_to=restrict_to, sealing=sealing)  # fmt: skip


def create_segment(
    con: duckdb.DuckDBPyConnection,
    name: str,
    tree: Node,
    *,
    now: datetime,
    description: str | None = None,
    realtime: bool = True,
) -> dict[str, Any]:
    """Store a new segment and evaluate it at once, so it has members from the start."""
    name = name.strip()
    if not name:
        raise InvalidSegment("a segment needs a name")
    if _find(con, name) is not None:
        raise InvalidSegment(f"a segment named {name!r} already exists")
    compile_tree(con, tree)  # unknown segments, purposes or bad values fail here
    segment_id = f"seg_{secrets.token_hex(6)}"
    con.execute(
        "INSERT INTO segments (segment_id, name, description, definition, text, realtime,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [segment_id, name, description, orjson.dumps(to_json(tree)).decode(), to_text(tree),
         realtime, now, now],
    )  # fmt: skip
    evaluate_segment(con, name, now=now)
    return get_segment(con, name)


def update_segment(
    con: duckdb.DuckDBPyConnection, name: str, tree: Node, *, now: datetime
) -> dict[str, Any]:
    """Redefine a segment; members are re-evaluated (entries and exits recorded)."""
    segment = get_segment(con, name)
    compile_tree(con, tree)
    if segment["name"] in _dependencies(con, referenced_segments(tree)):
        raise InvalidSegment(f"segment {name!r} would depend on itself")
    con.execute(
        "UPDATE segments SET definition = ?, text = ?, updated_at = ? WHERE segment_id = ?",
        [orjson.dumps(to_json(tree)).decode(), to_text(tree), now, segment["segment_id"]],
    )
    # The segment, then every segment that uses it (directly or not), in dependency order.
    everyone = list_segments(con)
    affected = {name} | {s["name"] for s in everyone if name in _dependencies(con, s["uses"])}
    for dependent in in_dependency_order([s for s in everyone if s["name"] in affected]):
        evaluate_segment(con, dependent["name"], now=now)
    return get_segment(con, name)


def delete_segment(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    segment = get_segment(con, name)
    users = [s["name"] for s in list_segments(con) if name in s["uses"]]
    users += [f"destination {r[0]}" for r in con.execute(
        "SELECT name FROM destinations WHERE segment_id = ? ORDER BY name",
        [segment["segment_id"]]).fetchall()]  # fmt: skip
    if users:
        raise InvalidSegment(f"segment {name!r} is used by {', '.join(users)}")
    for table in ("segment_members", "segment_history", "segments"):
        con.execute(f"DELETE FROM {table} WHERE segment_id = ?", [segment["segment_id"]])
    return segment


def get_segment(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    found = _find(con, name)
    if found is None:
        raise SegmentNotFound(f"no segment named {name!r}")
    return found


def list_segments(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM segments ORDER BY name").fetchall()
    with purposes_scope(registered_purposes(con)):  # definitions may name custom purposes
        return [_segment(row) for row in rows]


def preview(
    con: duckdb.DuckDBPyConnection,
    tree: Node,
    *,
    now: datetime,
    sample: int = 10,
    purpose: str | None = None,
) -> dict[str, Any]:
    """How many profiles match now, and a few of them — nothing is stored. With `purpose`
    (canonical), only those who may be activated for it (privacy/enforce.py)."""
    started = time.perf_counter()
    compiled = compile_tree(con, tree)
    sql = compiled.sql("duckdb")
    params = compiled.bind(now)
    if purpose is not None:
        sql = f"SELECT profile_id FROM ({sql}) WHERE profile_id IN ({CONSENTED_PROFILES})"
        params = {**params, "purpose": purpose}
    # One pass: the count and the first `sample` members (a top-n aggregate, no sort).
    row = con.execute(f"SELECT count(*), min(profile_id, {max(int(sample), 1)}) FROM ({sql})",
                      params).fetchone()  # fmt: skip
    members = (row[1] or [])[: int(sample)] if row else []
    return {"count": int(row[0]) if row else 0, "sample": list(members),
            "text": to_text(tree), "seconds": round(time.perf_counter() - started, 4)}  # fmt: skip


def members(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    limit: int = 100,
    offset: int = 0,
    purpose: str | None = None,
) -> dict[str, Any]:
    """A page of the stored members; with `purpose` (canonical), only those who may be
    activated for it, and `count` counts only them."""
    segment = get_segment(con, name)
    params = {"segment_id": segment["segment_id"], "limit": limit, "offset": offset}
    consented = ""
    count = segment["member_count"]
    if purpose is not None:
        consented = f" AND profile_id IN ({CONSENTED_PROFILES})"
        params["purpose"] = purpose
        row = con.execute(
            f"SELECT count(*) FROM segment_members WHERE segment_id = $segment_id{consented}",
            {"segment_id": segment["segment_id"], "purpose": purpose},
        ).fetchone()
        count = int(row[0]) if row else 0
    rows = con.execute(
        "WITH page AS (SELECT profile_id, entered_at FROM segment_members"
        f"  WHERE segment_id = $segment_id{consented}"
        "  ORDER BY entered_at, profile_id LIMIT $limit OFFSET $offset)"
        " SELECT m.profile_id, m.entered_at,"
        "  coalesce(p.traits ->> 'email', (SELECT min(coalesce(v.token, l.identifier_value))"
        "   FROM identity_links l LEFT JOIN identifier_values v"  # the vault: empty when off
        "   ON v.identifier = 'email:' || l.identifier_value"
        "   WHERE l.profile_id = m.profile_id AND l.identifier_type = 'email')),"
        "  p.traits ->> 'first_name', p.traits ->> 'last_name'"
        " FROM page m LEFT JOIN profiles p ON p.profile_id = m.profile_id"
        " ORDER BY m.entered_at, m.profile_id",
        params,
    ).fetchall()
    personal = personal_data(con)  # sealed e-mails and names are opened here, at the edge
    personal.warm(v for row in rows for v in row[2:])
    return {"segment": name, "count": count, "purpose": purpose, "members": [
        {"profile_id": p, "entered_at": at.isoformat(), "email": personal.open(e),
         "first_name": personal.open(f), "last_name": personal.open(la)}
        for p, at, e, f, la in rows]}  # fmt: skip


def evaluate_segment(
    con: duckdb.DuckDBPyConnection, name: str, *, now: datetime
) -> membership.Transition:
    segment = get_segment(con, name)
    sql, params = shareable_sql(segment["definition"], compile_context(con), "s0_", now)
    changed = membership.evaluate_many(con, [(segment["segment_id"], sql, params)], now=now,
                                       reason="evaluation", scope=None)  # fmt: skip
    entered, exited = changed.get(segment["segment_id"], (0, 0))
    return membership.Transition(segment["segment_id"], entered, exited,
                                 get_segment(con, name)["member_count"])  # fmt: skip


def evaluate_all(
    con: duckdb.DuckDBPyConnection, *, now: datetime, realtime_only: bool = False
) -> list[membership.Transition]:
    """Every segment, each after the segments it uses (the scheduled re-evaluation).

    Segments of one dependency level are evaluated together as one union query and one
    difference against the stored members (see `membership.evaluate_many`)."""
    chosen = [s for s in list_segments(con) if s["realtime"] or not realtime_only]
    done: list[membership.Transition] = []
    context = compile_context(con)
    for level in dependency_levels(chosen):
        queries = []
        for i, segment in enumerate(level):
            sql, params = shareable_sql(segment["definition"], context, f"s{i}_", now)
            queries.append((segment["segment_id"], sql, params))
        changed = membership.evaluate_many(con, queries, now=now, reason="evaluation",
                                           scope=None)  # fmt: skip
        counts = dict(con.execute("SELECT segment_id, member_count FROM segments").fetchall())
        done += [membership.Transition(s["segment_id"], *changed.get(s["segment_id"], (0, 0)),
                                       counts[s["segment_id"]]) for s in level]  # fmt: skip
    return done


def dependency_levels(segments: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Segments in levels: each level uses only segments of earlier levels."""
    level_of: dict[str, int] = {}
    names = {s["name"] for s in segments}
    for segment in in_dependency_order(segments):
        used = [level_of[u] for u in segment["uses"] if u in names]
        level_of[segment["name"]] = 1 + max(used, default=-1)
    levels: list[list[dict[str, Any]]] = [[] for _ in range(1 + max(level_of.values(), default=-1))]
    for segment in in_dependency_order(segments):
        levels[level_of[segment["name"]]].append(segment)
    return levels


# computed names, segment ids by name, registered consent purposes by name, and the data
# directory's encryption (its PersonalData hashes by identity: one per open directory)
Context = tuple[frozenset[str], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], Sealing]


def compile_context(con: duckdb.DuckDBPyConnection) -> Context:
    """What compiling depends on besides the definition: computed traits, segments, the
    workspace's own consent purposes and its field encryption."""
    computed = frozenset(r[0] for r in con.execute("SELECT name FROM computed_traits").fetchall())
    segments = con.execute("SELECT name, segment_id FROM segments ORDER BY name").fetchall()
    purposes = tuple(sorted(registered_purposes(con).items()))
    named = tuple((str(n), str(i)) for n, i in segments)
    personal = personal_data(con)
    return computed, named, purposes, Sealing(personal, sealed_traits(con, personal))


def shareable_sql(
    definition: Any,
    context: Context,
    prefix: str,
    now: datetime,
    tables: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The segment's SQL with its parameters renamed by `prefix`, so that many segments can
    share one query; `tables` reads other tables in place of the named ones. Compiled SQL is
    cached, so re-evaluating fifty segments per commit does not re-run the compiler."""
    key = orjson.dumps(definition, option=orjson.OPT_SORT_KEYS).decode()
    sql, compiled = _shared(key, context, prefix, tuple(sorted((tables or {}).items())))
    return sql, {f"{prefix}{name}": value for name, value in compiled.bind(now).items()}


@lru_cache(maxsize=2048)
def _shared(
    definition: str, context: Context, prefix: str, tables: tuple[tuple[str, str], ...]
) -> tuple[str, CompiledSegment]:
    computed, segments, purposes, sealing = context
    with purposes_scope(dict(purposes)):
        compiled = compile_segment(from_json(orjson.loads(definition)), computed=computed,
                                   segments=dict(segments), sealing=sealing)  # fmt: skip
    swap = dict(tables)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            return exp.Placeholder(this=f"{prefix}{node.this}")
        if isinstance(node, exp.Table) and node.name in swap and not node.args.get("db"):
            alias = node.alias or node.name  # columns may be qualified by the table's name
            return exp.Table(this=exp.to_identifier(swap[node.name]),
                             alias=exp.TableAlias(this=exp.to_identifier(alias)))  # fmt: skip
        return node

    return compiled.select.transform(rewrite).sql("duckdb"), compiled


def in_dependency_order(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments ordered so that each comes after every segment it uses."""
    by_name = {s["name"]: s for s in segments}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name not in by_name:
            return
        if name in path:
            raise InvalidSegment(f"segments depend on each other: {' → '.join((*path, name))}")
        for used in sorted(by_name[name]["uses"]):
            place(used, (*path, name))
        placed.add(name)
        ordered.append(by_name[name])

    for name in sorted(by_name):
        place(name, ())
    return ordered


def _dependencies(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> set[str]:
    """Every segment reachable from `names` through `in_segment`."""
    by_name = {s["name"]: s for s in list_segments(con)}
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in by_name:
            continue
        found.add(name)
        todo.extend(by_name[name]["uses"])
    return found


_COLUMNS = ("segment_id, name, description, definition, text, realtime, created_at, updated_at,"
            " evaluated_at, member_count")  # fmt: skip


def _find(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM segments WHERE name = ?", [name]).fetchone()
    if row is None:
        return None
    with purposes_scope(registered_purposes(con)):
        return _segment(row)


def _segment(row: tuple[Any, ...]) -> dict[str, Any]:
    sid, name, description, definition, text, realtime, created, updated, evaluated, count = row
    tree = orjson.loads(definition)
    return {
        "segment_id": sid, "name": name, "description": description, "definition": tree,
        "text": text, "realtime": realtime, "created_at": created.isoformat(),
        "updated_at": updated.isoformat(),
        "evaluated_at": evaluated.isoformat() if evaluated else None, "member_count": count,
        "uses": sorted(referenced_segments(from_json(tree))),
    }  # fmt: skip
