"""Keeping the identity tables in step with the event log.

The graph lives in memory (it is rebuilt from the log when a workspace starts resolving)
and the tables `identity_links`, `identity_merges` and `identity_violations` are its
readable copy: the profile API, the CLI and SQL read them. `catch_up` observes every event
and record committed since the last call and writes only what changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.identity.graph import IdentityGraph
from opencdp.identity.model import Identifier, Merge, Observation, RuleViolation
from opencdp.identity.observations import last_seq, read_observations
from opencdp.identity.rules import IdentityRules

Read = Callable[[Callable[[duckdb.DuckDBPyConnection], Any]], Any]
Write = Callable[[Callable[[duckdb.DuckDBPyConnection], None]], None]
Follow = Callable[[duckdb.DuckDBPyConnection, int], object]
READ_WINDOW = 250_000  # seqs read per query while catching up
_LINKS = pa.schema([("identifier_type", pa.string()), ("identifier_value", pa.string()),
                    ("profile_id", pa.string())])  # fmt: skip


@dataclass
class Changes:
    """What observing a stretch of the log changed, ready to write."""

    profiles: set[str] = field(default_factory=set)
    merges: list[Merge] = field(default_factory=list)
    violations: list[RuleViolation] = field(default_factory=list)
    observed: int = 0


class IdentityResolver:
    """The live identity graph of one workspace, and its tables."""

    def __init__(self, read: Read, write: Write, rules: IdentityRules | None = None) -> None:
        self._read = read
        self._write = write
        self._rules = rules
        self._lock = threading.Lock()
        self._graph: IdentityGraph | None = None
        self._known: dict[str, Identifier] = {}  # parsed identifiers, shared with the graph
        self._seen: set[tuple[object, ...]] = set()  # refusals already in the table
        self.resolved_through = 0  # seq up to which the tables are current

    def rebuild(self) -> int:
        """Rebuild the graph and the tables from the whole log; returns observations read."""
        with self._lock:
            return self._rebuild()

    def catch_up(self, then: Follow | None = None, *, always: bool = False) -> Changes:
        """Observe what was committed since the last call and write the changes.

        `then(con, resolved_through)` runs in the same transaction, after the links are
        written, so what is derived from the links (the profile tables) is never seen by a
        reader without them, nor they without it. It runs when something new was observed
        (or `always`). If the write fails, the in-memory graph is dropped and the next call
        rebuilds it from the log, so a failed window is never skipped."""
        with self._lock:
            if self._graph is None:
                changes = Changes(observed=self._rebuild())
                if then is not None:
                    through = self.resolved_through
                    self._guarded(lambda con: _follow(then, con, through))
                return changes
            changes = self._observe(self._graph)
            changes.violations = first_violations(changes.violations, self._seen)
            graph, through = self._graph, self.resolved_through
            follow = then is not None and (always or changes.observed > 0)

            def write(con: duckdb.DuckDBPyConnection) -> None:
                if changes.profiles or changes.violations:
                    _write_changes(con, graph, changes)
                if follow and then is not None:
                    then(con, through)

            if changes.profiles or changes.violations or follow:
                self._guarded(write)
            return changes

    def _guarded(self, write: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        try:
            self._write(write)
        except Exception:
            self._graph = None  # observed but not stored: replay from the log next time
            raise

    def unmerge(self, origin: str) -> int:
        """Undo every merge `origin` caused, for good: it links nothing from now on.

        The origin is recorded in `identity_unmerged` (with the time, for the audit) and the
        graph is rebuilt with it, so replays and rebuilds keep the split.
        """
        with self._lock:
            self._write(lambda con: _record_unmerge(con, origin))
            return self._rebuild()

    def forget(
        self, profile_ids: Iterable[str], identifiers: Iterable[tuple[str, str]] = ()
    ) -> tuple[int, int]:
        """Remove erased people from the live graph (see `IdentityGraph.forget`); the tables
        are the erasure's to delete from. Nothing to do before the graph is built: it is
        built from the log, which no longer holds them."""
        with self._lock:
            graph = self._graph
            if graph is None:
                return 0, 0
            ids = set(profile_ids)
            listed = {Identifier(t, v) for t, v in identifiers}
            result = graph.forget(ids, listed)
            for identifier in listed:
                self._known.pop(f"{identifier.type}:{identifier.value}", None)
            self._seen = {key for key in self._seen
                          if key[0] not in listed and key[1] not in ids}  # fmt: skip
            return result

    def _rebuild(self) -> int:
        graph = IdentityGraph(self._rules, self._read(_unmerged_origins))
        self._graph = graph
        self._known = {}
        self.resolved_through = 0
        changes = self._observe(graph, collect=False)
        self._seen = set()
        violations = first_violations(graph.violations, self._seen)
        self._write(lambda con: _replace_all(con, graph, violations))
        return changes.observed

    def _observe(self, graph: IdentityGraph, *, collect: bool = True) -> Changes:
        """Observe the log after `resolved_through`, a window of seqs at a time, so memory
        stays bounded however much arrived (a 5,000,000-row import, a full rebuild)."""
        through: int = self._read(last_seq)
        changes = Changes()
        after = self.resolved_through
        while after < through:
            upto = min(after + READ_WINDOW, through)
            observations: list[Observation] = self._read(
                partial(_window, self._known, after, upto)
            )
            linked = graph.identifier_count
            for observation in observations:
                result = graph.observe(observation)
                changes.observed += 1
                if not collect:
                    continue
                # Only profiles that gained an identifier or absorbed another are rewritten:
                # most events repeat what the profile already holds.
                now_linked = graph.identifier_count
                if result.merges or now_linked != linked:
                    if result.profile_id is not None:
                        changes.profiles.add(result.profile_id)
                    changes.profiles.update(m.survivor for m in result.merges)
                    changes.merges.extend(result.merges)
                    linked = now_linked
                changes.violations.extend(result.violations)
            after = upto
        self.resolved_through = max(self.resolved_through, through)
        return changes

    @property
    def graph(self) -> IdentityGraph | None:
        return self._graph


def _follow(then: Follow, con: duckdb.DuckDBPyConnection, through: int) -> None:
    then(con, through)


def _window(
    known: dict[str, Identifier], after: int, through: int, con: duckdb.DuckDBPyConnection
) -> list[Observation]:
    return list(read_observations(con, after, through, known))


def _record_unmerge(con: duckdb.DuckDBPyConnection, origin: str) -> None:
    con.execute("INSERT OR IGNORE INTO identity_unmerged (origin) VALUES (?)", [origin])


def _unmerged_origins(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("SELECT origin FROM identity_unmerged").fetchall()]


def _links(graph: IdentityGraph, profile_ids: Iterable[str]) -> pa.Table:
    types: list[str] = []
    values: list[str] = []
    owners: list[str] = []
    for profile_id in profile_ids:
        for identifier in graph.identifiers_of(profile_id):
            types.append(identifier.type)
            values.append(identifier.value)
            owners.append(profile_id)
    return pa.Table.from_arrays(
        [pa.array(types, pa.string()), pa.array(values, pa.string()), pa.array(owners)],
        schema=_LINKS,
    )


def first_violations(
    violations: Iterable[RuleViolation], seen: set[tuple[object, ...]]
) -> list[RuleViolation]:
    """Each distinct refusal (identifier, profile, rule) once, at its first occurrence.

    A kiosk tablet is refused on every event it sends; the table keeps the first refusal as
    the explanation instead of growing with traffic. `seen` carries over between calls.
    """
    first = []
    for v in violations:
        key = (v.identifier, v.profile_id, v.rule, v.limit_type)
        if key not in seen:
            seen.add(key)
            first.append(v)
    return first


def _insert_history(
    con: duckdb.DuckDBPyConnection, merges: Iterable[Merge], violations: Iterable[RuleViolation]
) -> None:
    merge_rows = [(m.survivor, m.absorbed, m.identifier.type, m.identifier.value, m.origin,
                   m.seq, m.rule) for m in merges]  # fmt: skip
    violation_rows = [(v.identifier.type, v.identifier.value, v.profile_id, str(v.rule),
                       v.limit_type, v.origin, v.seq) for v in violations]  # fmt: skip
    for table, rows in (("identity_merges", merge_rows), ("identity_violations", violation_rows)):
        if rows:
            # Through Arrow: DuckDB's executemany inserts row by row.
            columns = list(zip(*rows, strict=True))
            frame = pa.table({f"c{i}": list(column) for i, column in enumerate(columns)})  # noqa: F841
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")


def _replace_all(
    con: duckdb.DuckDBPyConnection, graph: IdentityGraph, violations: list[RuleViolation]
) -> None:
    for table in ("identity_links", "identity_merges", "identity_violations"):
        con.execute(f"DELETE FROM {table}")
    links = _links(graph, graph.profile_ids())  # noqa: F841 (read by the SQL below)
    con.execute("INSERT INTO identity_links SELECT * FROM links")
    _insert_history(con, graph.merges, violations)


def _write_changes(con: duckdb.DuckDBPyConnection, graph: IdentityGraph, changes: Changes) -> None:
    # A merge moves the absorbed profile's identifiers: rewriting every identifier of each
    # touched profile keeps the table exact without tracking single moves.
    links = _links(graph, changes.profiles)  # noqa: F841 (read by the SQL below)
    con.execute(
        "DELETE FROM identity_links l USING links n WHERE l.identifier_type = n.identifier_type"
        " AND l.identifier_value = n.identifier_value"
    )
    con.execute("INSERT INTO identity_links SELECT * FROM links")
    _insert_history(con, changes.merges, changes.violations)
