"""Which profile each event belonged to as of a cut-off, so merges made later do not leak.

`profile_events` places every event on today's profile. When an anonymous visitor logs in
after a training cut-off, the merge pulls their earlier browsing onto the customer, and
features "as of" the cut-off would then see what was only known later. So for a cut-off,
merges whose observation (the event, record or match with the merge's `seq`) is timed at or
after it are undone: each event of a profile built by such a merge is put back on the
profile it belonged to at the cut-off.

Where an event started is read from identities: a profile is named after the identifier
that created it (`identity.profile_id_for`), so an event carrying the creator of a profile
in its lineage started there; an event with no creator among its identifiers (say only a
`user_id` that joined the visitor's profile at login) follows the first event that shares an
identifier with it and has one. An event with neither stays on today's profile. Only profiles
touched by a later merge are looked at, so with none the events are read as they are, and
nothing is added to the materialisation hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from opencdp.identity.store import PROFILE_PREFIX

EVENTS = "profile_events"
AS_OF = "_events_as_of"

# When each merge became known: the time of the observation that caused it.
_MERGES = """
SELECT m.absorbed, m.survivor, coalesce(e."timestamp", r.updated_at, x.decided_at) AS at
FROM identity_merges m
LEFT JOIN (SELECT seq, "timestamp" FROM events SEMI JOIN identity_merges USING (seq)) e
  ON e.seq = m.seq
LEFT JOIN (SELECT seq, updated_at FROM source_records SEMI JOIN identity_merges USING (seq)) r
  ON r.seq = m.seq
LEFT JOIN identity_matches x ON x.seq = m.seq
ORDER BY m.seq
"""

# The lineage node each event of an affected profile started on (see the module docstring).
_CREATOR = (f"'{PROFILE_PREFIX}' || printf('%016x', md5_number_upper("
            "split_part(ident, ':', 1) || chr(0) || ident[strpos(ident, ':') + 1:]))")  # fmt: skip
_STARTED = f"""
CREATE OR REPLACE TEMP TABLE _asof_started AS
WITH ev AS (
  SELECT pe.seq, pe.profile_key, pe.profile_id FROM {EVENTS} pe
  SEMI JOIN _asof_affected a ON a.profile_key = pe.profile_key
), ids AS (
  SELECT ev.seq, ev.profile_key, ev.profile_id, x.ident, x.pos, {_CREATOR} AS creator
  FROM ev JOIN (
    SELECT seq, unnest(identifiers) AS ident, generate_subscripts(identifiers, 1) AS pos
    FROM events SEMI JOIN ev USING (seq)
  ) x USING (seq)
), own AS (
  SELECT i.seq, i.profile_key, arg_min(i.creator, i.pos) AS node
  FROM ids i JOIN _asof_nodes n ON n.node = i.creator AND n.profile_id = i.profile_id
  GROUP BY ALL
), first_of AS (
  SELECT i.ident, i.profile_id, arg_min(o.node, i.seq) AS node
  FROM ids i JOIN own o USING (seq, profile_key) GROUP BY ALL
)
SELECT i.seq, i.profile_key, coalesce(any_value(o.node), arg_min(f.node, i.pos)) AS node
FROM ids i LEFT JOIN own o USING (seq, profile_key)
LEFT JOIN first_of f ON f.ident = i.ident AND f.profile_id = i.profile_id
GROUP BY ALL
"""

_VIEW = f"""
CREATE OR REPLACE TEMP VIEW {AS_OF} AS
SELECT pe.* REPLACE (coalesce(m.profile_id, pe.profile_id) AS profile_id,
                     coalesce(m.new_key, pe.profile_key) AS profile_key)
FROM {EVENTS} pe LEFT JOIN _asof_moved m ON m.seq = pe.seq AND m.profile_key = pe.profile_key
"""


class Lineage:
    """The merges of the workspace with the time each became known."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute(_MERGES).fetchall()
        self.parent = {absorbed: survivor for absorbed, survivor, _ in rows}
        self.known = {absorbed: at for absorbed, _, at in rows}

    def root(self, profile_id: str, cutoff: datetime | None = None) -> str:
        """The profile `profile_id` was part of at `cutoff` (None: now, every merge)."""
        seen = {profile_id}
        while profile_id in self.parent:
            at = self.known[profile_id]
            if cutoff is not None and at is not None and at >= cutoff:
                break
            profile_id = self.parent[profile_id]
            if profile_id in seen:  # a cycle cannot come from the resolver; stop rather than spin
                break
            seen.add(profile_id)
        return profile_id

    def later(self, cutoff: datetime) -> list[str]:
        """Profiles absorbed by a merge known only at or after `cutoff`."""
        return [a for a, at in self.known.items() if at is not None and at >= cutoff]


def events_as_of(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> str:
    """The name of a relation shaped like `profile_events` whose `profile_id` is each event's
    profile as of `cutoff` (`profile_events` itself when no merge is known only later)."""
    lineage = Lineage(con)
    later = lineage.later(cutoff)
    if not later:
        return EVENTS
    affected = sorted({lineage.root(p) for p in later})
    nodes = [(p, lineage.root(p)) for p in (*lineage.parent, *affected)]
    wanted = set(affected)
    nodes = [(node, now) for node, now in nodes if now in wanted]
    _register(con, "_asof_affected_rows", {"profile_id": affected})
    con.execute("CREATE OR REPLACE TEMP TABLE _asof_affected AS SELECT profile_id,"
                " md5_number_upper(profile_id) AS profile_key"
                " FROM _asof_affected_rows")  # fmt: skip
    _register(con, "_asof_node_rows", {"node": [n for n, _ in nodes],
                                       "profile_id": [p for _, p in nodes]})  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE _asof_nodes AS SELECT * FROM _asof_node_rows")
    con.execute(_STARTED)
    started = con.execute("SELECT seq, profile_key, node FROM _asof_started"
                          " WHERE node IS NOT NULL").fetchall()  # fmt: skip
    moved = [(seq, key, lineage.root(node, cutoff)) for seq, key, node in started]
    moved = [(seq, key, to) for seq, key, to in moved if to not in wanted]
    _register(con, "_asof_moved_rows", {
        "seq": pa.array([m[0] for m in moved], pa.int64()),
        "profile_key": pa.array([m[1] for m in moved], pa.uint64()),
        "profile_id": pa.array([m[2] for m in moved], pa.string()),
    })  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE _asof_moved AS SELECT *,"
                " md5_number_upper(profile_id) AS new_key FROM _asof_moved_rows")  # fmt: skip
    for name in ("_asof_affected_rows", "_asof_node_rows", "_asof_moved_rows"):
        con.unregister(name)
    con.execute(_VIEW)
    return AS_OF


def current_profiles(con: duckdb.DuckDBPyConnection,
                     profile_ids: NDArray[np.object_]) -> NDArray[np.object_]:  # fmt: skip
    """Today's profile of each listed profile (ids of profiles merged away since map to the
    profile that absorbed them), for outcomes measured after a cut-off."""
    lineage = Lineage(con)
    if not lineage.parent:
        return profile_ids
    return np.array([lineage.root(p) for p in profile_ids.tolist()], dtype=object)


def _register(con: duckdb.DuckDBPyConnection, name: str,
              columns: dict[str, Iterable[object] | pa.Array]) -> None:  # fmt: skip
    arrays = {k: v if isinstance(v, pa.Array) else pa.array(list(v), pa.string())
              for k, v in columns.items()}  # fmt: skip
    con.register(name, pa.table(arrays))
