"""`opencdp audit ...`: verify the chain, list entries, report on a person or a user, alerts."""

from __future__ import annotations

from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from


@click.group()
def audit() -> None:
    """The audit log: who accessed which customer data, when, from where and why."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Check the hash chain; exit 1 naming the first modified, deleted or inserted entry."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.audit_verify()
    broken = found["first_broken"]
    if broken is None:
        text = f"ok: {found['entries']:,} entries, chain intact"
    else:
        where = f"entry {broken['seq']}: " if broken.get("seq") is not None else ""
        text = f"BROKEN at {where}{broken['problem']} ({found['entries']:,} entries intact before)"
    text = "\n".join([text, *(f"warning: {w}" for w in found["warnings"])])
    emit(found, as_json, text)
    if broken is not None:
        ctx.exit(1)


@audit.command("log")
@click.option("--user", help="User name, or kind:name (cli:alice, admin_token:admin).")
@click.option("--profile", help="Profile id or any identifier; follows merges.")
@click.option("--since", help="A date, an ISO time, or a span back from now: 30m, 24h, 7d.")
@click.option("--action", help="An action (profile.read) or a family (privacy).")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def log_command(ctx: click.Context, user: str | None, profile: str | None, since: str | None,
                action: str | None, limit: int, as_json: bool) -> None:  # fmt: skip
    """Entries, newest first."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.audit_log(user, profile, since, action, limit)
    emit(found, as_json, "\n".join(_line(e) for e in found) or "no entries")


@audit.command("report")
@click.option("--profile", help="Who accessed this customer's data (id or identifier).")
@click.option("--user", help="What this user accessed.")
@click.option("--since", help="A date, an ISO time, or a span back from now: 30m, 24h, 7d.")
@click.option("--limit", default=100, show_default=True, help="Entries listed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report(ctx: click.Context, profile: str | None, user: str | None, since: str | None,
           limit: int, as_json: bool) -> None:  # fmt: skip
    """Who accessed a customer's data (--profile), or what a user accessed (--user)."""
    if (profile is None) == (user is None):
        raise click.UsageError("give --profile or --user")
    with open_backend(settings_from(ctx)) as backend:
        found = backend.audit_report(profile, user, since, limit)
    emit(found, as_json, _profile_text(found) if profile else _user_text(found))


@audit.command("alerts")
@click.option("--since", help="A date, an ISO time, or a span back from now: 30m, 24h, 7d.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def alerts(ctx: click.Context, since: str | None, limit: int, as_json: bool) -> None:
    """Unusual access: actors who read or exported far more than their usual."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.audit_alerts(since, limit)
    text = "\n".join(f"{a['raised_at']}\t{a['actor']}\t{a['accesses']} {a['kind']} on "
                     f"{a['day']} (usual {a['usual_per_day']}/day)" for a in found)  # fmt: skip
    emit(found, as_json, text or "no alerts")


def _line(entry: dict[str, Any]) -> str:
    target = f"{entry['target_kind']}:{entry['target']}" if entry["target"] else ""
    profiles = ",".join(entry["profiles"][:3]) + ("…" if len(entry["profiles"]) > 3 else "")
    parts = [str(entry["seq"]), entry["occurred_at"], entry["actor"], entry["action"],
             target or profiles or "-", entry["outcome"], entry["reason"] or ""]  # fmt: skip
    return "\t".join(parts).rstrip()


def _profile_text(found: dict[str, Any]) -> str:
    head = (f"{found['profile']} → {found['profile_id'] or 'no current profile'}"
            f" ({len(found['lineage'])} profile ids with merges): "
            f"{found['accesses']:,} accesses")  # fmt: skip
    actors = [f"  {a['actor']} ({a['role'] or '-'}): {a['accesses']:,} — "
              + ", ".join(f"{k} {v}" for k, v in a["actions"].items())
              + f"; {a['first']} … {a['last']}" for a in found["actors"]]  # fmt: skip
    return "\n".join([head, *actors, "", *(_line(e) for e in found["entries"])])


def _user_text(found: dict[str, Any]) -> str:
    head = f"{found['user']}: {found['accesses']:,} accesses"
    actions = [f"  {k}: {v:,}" for k, v in found["actions"].items()]
    profiles = [f"  {p['profile_id']}: {p['accesses']:,}" for p in found["profiles"][:50]]
    return "\n".join([head, *actions, "profiles:", *profiles, "",
                      *(_line(e) for e in found["entries"])])  # fmt: skip
