"""Reading the audit log: entries by actor, profile, time and action; the two reports.

"Who accessed this customer's data" follows merges: the profile named (by id, or by any of
the person's identifiers) is taken to the profile it lives in now, and entries about any
profile merged into that one count, so an id that was absorbed by a merge still finds its
history. Entries name profiles by keyed hashes, so the search hashes the lineage's ids.
Reasons are stored sealed and opened here; a user's report includes failed logins as that
name, which are stored as keyed hashes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from opencdp.audit.chain import AuditKeys
from opencdp.audit.log import unverified_name
from opencdp.profiles.lookup import find_profile_id

_COLUMNS = ("seq, occurred_at, channel, actor_kind, actor_name, actor_role, token_id, action,"
            " target_kind, target, profiles_sealed, route, client_ip, user_agent, reason,"
            " status, outcome, details")  # fmt: skip
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """`2024-05-01`, an ISO time, or a span back from now (`30m`, `24h`, `7d`, `2w`)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        span = timedelta(**{_UNITS[relative[2]]: int(relative[1])})
        return (now or datetime.now(UTC)) - span
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"since: expected a date, an ISO time or a span like 7d, got {text!r}"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    user: str | None = None
    profile: str | None = None
    since: datetime | None = None
    action: str | None = None
    limit: int = 100


def lineage(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str | None, list[str]]:
    """The profile `text` lives in now (None when it no longer exists) and every profile id
    that is or was part of it: itself, those it absorbed, and those they absorbed."""
    current = find_profile_id(con, text)
    start = current or text.strip()
    rows = con.execute(
        "WITH RECURSIVE up(pid) AS ("
        "  SELECT $start::VARCHAR UNION SELECT m.survivor FROM identity_merges m"
        "  JOIN up ON m.absorbed = up.pid)"
        " SELECT pid, EXISTS (SELECT 1 FROM identity_links l WHERE l.profile_id = pid)"
        " FROM up",
        {"start": start},
    ).fetchall()
    if current is None:
        current = next((pid for pid, alive in rows if alive), None)
    root = current or start
    down = con.execute(
        "WITH RECURSIVE down(pid) AS ("
        "  SELECT $root::VARCHAR UNION SELECT m.absorbed FROM identity_merges m"
        "  JOIN down ON m.survivor = down.pid)"
        " SELECT pid FROM down",
        {"root": root},
    ).fetchall()
    ids = {pid for pid, _ in rows} | {row[0] for row in down}
    if not start.startswith("prof_") and current is None:
        ids.discard(start)  # an identifier that matched nothing is no profile id
    return current, sorted(ids)


def entries(
    con: duckdb.DuckDBPyConnection, keys: AuditKeys, filters: Filters
) -> list[dict[str, Any]]:
    """Entries matching `filters`, newest first."""
    where, params = _where(con, keys, filters)
    params["limit"] = filters.limit
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE {where} ORDER BY seq DESC LIMIT $limit", params
    ).fetchall()
    return [_entry(row, keys) for row in rows]


def profile_report(
    con: duckdb.DuckDBPyConnection, keys: AuditKeys, profile: str,
    since: datetime | None = None, limit: int = 100,
) -> dict[str, Any]:  # fmt: skip
    """Who accessed this person's data: each actor with what they did, and the entries."""
    current, ids = lineage(con, profile)
    filters = Filters(profile=profile, since=since, limit=limit)
    where, params = _where(con, keys, filters)
    summary = con.execute(
        "SELECT actor_kind || ':' || actor_name, any_value(actor_role), action, count(*),"
        " min(occurred_at), max(occurred_at)"
        f" FROM audit_log WHERE {where} GROUP BY ALL ORDER BY 1, 3",
        params,
    ).fetchall()
    actors: dict[str, dict[str, Any]] = {}
    for actor, role, action, count, first, last in summary:
        item = actors.setdefault(actor, {"actor": actor, "role": role, "accesses": 0,
                                         "actions": {}, "first": first, "last": last})  # fmt: skip
        item["accesses"] += count
        item["actions"][action] = count
        item["first"], item["last"] = min(item["first"], first), max(item["last"], last)
    for item in actors.values():
        item["first"], item["last"] = _iso(item["first"]), _iso(item["last"])
    return {"profile": profile, "profile_id": current, "lineage": ids,
            "accesses": sum(a["accesses"] for a in actors.values()),
            "actors": sorted(actors.values(), key=lambda a: -int(a["accesses"])),
            "entries": entries(con, keys, filters)}  # fmt: skip


def user_report(
    con: duckdb.DuckDBPyConnection, keys: AuditKeys, user: str,
    since: datetime | None = None, limit: int = 100,
) -> dict[str, Any]:  # fmt: skip
    """What this user (or token, or command-line user) accessed: actions and profiles."""
    filters = Filters(user=user, since=since, limit=limit)
    where, params = _where(con, keys, filters)
    actions = con.execute(
        f"SELECT action, count(*) FROM audit_log WHERE {where} GROUP BY action ORDER BY 2 DESC",
        params,
    ).fetchall()
    sealed = con.execute(
        f"SELECT profiles_sealed FROM audit_log WHERE {where} AND profiles_sealed IS NOT NULL",
        params,
    ).fetchall()
    profiles: Counter[str] = Counter()
    for (value,) in sealed:
        profiles.update(keys.open_ids(value))
    targets = con.execute(
        "SELECT target_kind, target, count(*) FROM audit_log"
        f" WHERE {where} AND target IS NOT NULL GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        params,
    ).fetchall()
    return {"user": user, "accesses": sum(n for _, n in actions),
            "actions": {action: n for action, n in actions},
            "profiles": [{"profile_id": p, "accesses": n} for p, n in profiles.most_common()],
            "targets": [{"kind": k, "name": t, "accesses": n} for k, t, n in targets],
            "entries": entries(con, keys, filters)}  # fmt: skip


def alerts(
    con: duckdb.DuckDBPyConnection, since: datetime | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT alert_id, raised_at, actor_kind || ':' || actor_name, kind, day, accesses,"
        " baseline, threshold FROM audit_alerts WHERE $since::TIMESTAMPTZ IS NULL"
        " OR raised_at >= $since ORDER BY raised_at DESC LIMIT $limit",
        {"since": since, "limit": limit},
    ).fetchall()
    return [{"alert_id": a, "raised_at": _iso(r), "actor": actor, "kind": kind,
             "day": day.isoformat(), "accesses": n, "usual_per_day": round(b, 2),
             "threshold": t} for a, r, actor, kind, day, n, b, t in rows]  # fmt: skip


def _where(
    con: duckdb.DuckDBPyConnection, keys: AuditKeys, filters: Filters
) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["true"]
    params: dict[str, Any] = {}
    if filters.user:
        clauses.append("(actor_name IN ($user, $typed) OR actor_kind || ':' || actor_name = $user)")
        params["user"] = filters.user
        params["typed"] = unverified_name(keys, filters.user)  # failed logins as that name
    if filters.profile:
        _, ids = lineage(con, filters.profile)
        clauses.append("(list_has_any(profile_keys, $pkeys) OR contains(details, $ihash))")
        params["pkeys"] = [keys.profile_key(i) for i in ids]
        params["ihash"] = keys.identifier_hash(filters.profile)
    if filters.since:
        clauses.append("occurred_at >= $since")
        params["since"] = filters.since
    if filters.action:
        clauses.append("(action = $action OR starts_with(action, $action || '.'))")
        params["action"] = filters.action
    return " AND ".join(clauses), params


def _entry(row: tuple[Any, ...], keys: AuditKeys) -> dict[str, Any]:
    (seq, when, channel, actor_kind, actor_name, role, token_id, action, target_kind, target,
     sealed, route, ip, agent, reason, status, outcome, details) = row  # fmt: skip
    return {"seq": seq, "occurred_at": _iso(when), "channel": channel,
            "actor": f"{actor_kind}:{actor_name}", "role": role, "token_id": token_id,
            "action": action, "target_kind": target_kind, "target": target,
            "profiles": keys.open_ids(sealed), "route": route, "client_ip": ip,
            "user_agent": agent, "reason": keys.open_text(reason), "status": status,
            "outcome": outcome, "details": json.loads(details)}  # fmt: skip


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
