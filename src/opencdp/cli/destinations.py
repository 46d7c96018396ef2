"""`opencdp destinations ...`: send segments to webhooks, files, databases and ad/email tools."""

from __future__ import annotations

import json
from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from


@click.group()
def destinations() -> None:
    """Destinations: where segments are synced, for which purpose."""


def _config(pairs: tuple[str, ...], raw: str | None) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(raw) if raw else {}
    if not isinstance(config, dict):
        raise click.BadParameter("--config-json must be a JSON object")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"--set takes key=value, not {pair!r}")
        config[key] = value
    return config


@destinations.command("create")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(
    ["webhook", "file", "database", "google_customer_match", "meta_custom_audience",
     "email_list"]))  # fmt: skip
@click.option("--segment", required=True, help="The segment to send (name or id).")
@click.option("--purpose", required=True, help="email_marketing, advertising, analytics, ...")
@click.option("--set", "pairs", multiple=True, help="A setting as key=value (repeatable).")
@click.option("--config-json", help="Settings as one JSON object.")
@click.option("--every", "schedule_minutes", type=int, help="Sync every N minutes.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def create(ctx: click.Context, name: str, kind: str, segment: str, purpose: str,
           pairs: tuple[str, ...], config_json: str | None, schedule_minutes: int | None,
           as_json: bool) -> None:  # fmt: skip
    """Create destination NAME (see docs/destinations.md for each kind's settings)."""
    config = _config(pairs, config_json)
    with open_backend(settings_from(ctx)) as backend:
        found = backend.create_destination(name, kind, segment, purpose, config, schedule_minutes)
    emit(found, as_json, f"{found['name']}: {found['kind']} for {found['purpose']}")


@destinations.command("configure")
@click.argument("name")
@click.option("--set", "pairs", multiple=True, help="A setting to replace, key=value.")
@click.option("--config-json", help="Settings to replace, as one JSON object.")
@click.option("--purpose", help="A new declared purpose.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def configure(ctx: click.Context, name: str, pairs: tuple[str, ...], config_json: str | None,
              purpose: str | None, as_json: bool) -> None:  # fmt: skip
    """Change where NAME sends and what (admins: destinations:configure); the other
    settings, secrets included, stay."""
    config = _config(pairs, config_json)
    with open_backend(settings_from(ctx)) as backend:
        found = backend.configure_destination(name, config, purpose)
    emit(found, as_json, f"{found['name']}: configured")


@destinations.command("audience")
@click.argument("name")
@click.option("--segment", help="The segment to send (name or id).")
@click.option("--every", "schedule_minutes", type=int, help="Sync every N minutes.")
@click.option("--on-demand", "unschedule", is_flag=True, help="No schedule: sync when asked.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audience(ctx: click.Context, name: str, segment: str | None, schedule_minutes: int | None,
             unschedule: bool, as_json: bool) -> None:  # fmt: skip
    """Choose which segment NAME sends and how often (destinations:write)."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.set_destination_audience(name, segment, schedule_minutes, unschedule)
    every = found["schedule_minutes"]
    emit(found, as_json, f"{found['name']}: segment {found['segment_id']}, "
                         f"{f'every {every} minutes' if every else 'on demand'}")  # fmt: skip


@destinations.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every destination."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_destinations()
    text = "\n".join(f"{d['name']}\t{d['kind']}\t{d['purpose']}\t"
                     f"{'enabled' if d['enabled'] else 'disabled'}" for d in found)  # fmt: skip
    emit(found, as_json, text or "no destinations")


@destinations.command("show")
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    """One destination's settings (secrets masked)."""
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.get_destination(name), True)


@destinations.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    with open_backend(settings_from(ctx)) as backend:
        backend.delete_destination(name)
    click.echo(f"deleted {name}")


@destinations.command("sync")
@click.argument("name")
@click.option("--full", is_flag=True, help="Send the whole audience, not only the changes.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sync(ctx: click.Context, name: str, full: bool, as_json: bool) -> None:
    """Sync NAME now (exit status 1 when the sync failed)."""
    with open_backend(settings_from(ctx)) as backend:
        done = backend.sync_destination(name, "full" if full else "incremental")
    emit(done, as_json, json.dumps(done, indent=2, default=str))
    if done.get("status") == "failed":
        raise click.ClickException(f"sync of {name} failed: {done.get('errors')}")


@destinations.command("history")
@click.argument("name")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def history(ctx: click.Context, name: str, limit: int, as_json: bool) -> None:
    """NAME's syncs, newest first, with their counts and errors."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.destination_history(name, limit)
    emit(found, as_json, json.dumps(found, indent=2, default=str))


@destinations.command("dead-letters")
@click.argument("name")
@click.pass_context
def letters(ctx: click.Context, name: str) -> None:
    """Webhook batches NAME could not deliver after retries."""
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.dead_letters(name), True)


@destinations.command("replay")
@click.argument("name")
@click.argument("letter_id")
@click.pass_context
def replay(ctx: click.Context, name: str, letter_id: str) -> None:
    """Send dead letter LETTER_ID of NAME again."""
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.replay_dead_letter(name, letter_id), True)
