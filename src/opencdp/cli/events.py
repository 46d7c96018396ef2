"""`opencdp events ...` and `opencdp quarantine ...`: see what arrived and what was refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.collect.events import EXPORT_FORMATS


@click.group()
def events() -> None:
    """The event log."""


@events.command("count")
@click.option("--source", help="Only this source (name or id).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def count(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """Count stored events, by type, and quarantined records."""
    with open_backend(settings_from(ctx)) as backend:
        counts = backend.count_events(source)
    lines = [f"{counts['total']} events"] + [f"  {k}: {v}" for k, v in counts["by_type"].items()]
    lines.append(f"{counts['quarantined']} quarantined")
    emit(counts, as_json, "\n".join(lines))


@events.command("recent")
@click.option("--source", help="Only this source (name or id).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def recent(ctx: click.Context, source: str | None, limit: int, as_json: bool) -> None:
    """The newest events, newest first."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.recent_events(source, limit)
    text = "\n".join(
        f"{e['receivedAt']}  {e['type']:<8} {e.get('event') or e.get('name') or ''}"
        f"  {e['messageId']}"
        for e in found
    )
    emit(found, as_json, text or "no events yet")


@events.command("export")
@click.option("--source", help="Only this source (name or id).")
@click.option("--purpose", help="Only the events of people consenting to this purpose.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@click.pass_context
def export(
    ctx: click.Context, source: str | None, purpose: str | None, fmt: str, output: str | None
) -> None:
    """Export every stored field of every event; with --purpose, only the events of people
    consenting to it (without, a raw export for your own systems: docs/consent.md)."""
    if output is None and fmt == "parquet" and sys.stdout.isatty():
        raise click.UsageError("parquet is binary: give --output FILE")
    with open_backend(settings_from(ctx)) as backend:
        if output is None:
            rows = backend.export_events(sys.stdout.buffer, fmt, source, purpose=purpose)
        else:
            rows = backend.export_events(Path(output), fmt, source, purpose=purpose)
    if output is not None:
        click.echo(f"exported {rows} events to {output}", err=True)


@click.group("quarantine")
def quarantine_group() -> None:
    """Records refused with a reason, to fix and replay."""


@quarantine_group.command("list")
@click.option("--source")
@click.option(
    "--status", type=click.Choice(["pending", "replayed", "discarded", "all"]), default="pending"
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_quarantine(
    ctx: click.Context, source: str | None, status: str, limit: int, as_json: bool
) -> None:
    """List quarantined records and why each was refused."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_quarantine(source, None if status == "all" else status, limit)
    text = "\n".join(f"{r['quarantine_id']}\t{r['status']}\t{r['reason']}" for r in found)
    emit(found, as_json, text or "quarantine is empty")


@quarantine_group.command("replay")
@click.argument("quarantine_id", type=int)
@click.option(
    "--payload",
    type=click.File("r"),
    help="File with the fixed message as JSON ('-' for stdin); default: the stored one.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def replay(
    ctx: click.Context, quarantine_id: int, payload: click.File | None, as_json: bool
) -> None:
    """Validate a quarantined record again (fixed or as stored) and store it."""
    fixed = None
    if payload is not None:
        try:
            fixed = json.load(payload)  # type: ignore[arg-type]
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"--payload is not valid JSON: {exc}") from None
    with open_backend(settings_from(ctx)) as backend:
        result = backend.replay_quarantined(quarantine_id, fixed)
    emit(result, as_json, f"replayed {quarantine_id}: {result['stored']} stored")


@quarantine_group.command("discard")
@click.argument("quarantine_id", type=int)
@click.pass_context
def discard(ctx: click.Context, quarantine_id: int) -> None:
    """Mark a quarantined record as not worth replaying (it is kept, marked discarded)."""
    with open_backend(settings_from(ctx)) as backend:
        backend.discard_quarantined(quarantine_id)
    click.echo(f"discarded {quarantine_id}")
