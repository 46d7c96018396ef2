"""`opencdp consent ...`: record grants and denials, read consent and its history, purposes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.privacy.consent import LEGAL_BASES
from opencdp.profiles.export import EXPORT_FORMATS


@click.group()
def consent() -> None:
    """Consent: the ledger of grants and denials per person and purpose."""


def _statement_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("identifier"),
        click.argument("purpose"),
        click.option("--basis", "legal_basis", type=click.Choice(LEGAL_BASES), default="consent",
                     show_default=True, help="Legal basis of the processing."),
        click.option("--at", "stated_at", help="When it was stated (ISO 8601; default now)."),
        click.option("--policy-version", help="The privacy policy the person saw."),
        click.option("--expires", "expires_at", help="A grant stops counting then (ISO 8601)."),
        click.option("--jurisdiction", help="e.g. GDPR, CCPA, PDPA, APPI."),
        click.option("--note", help="Evidence: a form number, a call reference."),
        click.option("--json", "as_json", is_flag=True),
        click.pass_context,
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _state(ctx: click.Context, granted: bool, identifier: str, purpose: str,
           as_json: bool, **details: Any) -> None:  # fmt: skip
    with open_backend(settings_from(ctx)) as backend:
        found = backend.state_consent(identifier, purpose, granted, **details)
    statement, now = found["statement"], found["consent"]
    verb = "granted" if granted else "denied"
    text = f"recorded: {statement['subject']} {verb} {statement['purpose']}"
    if now is not None:
        text += f"\n{found['profile_id']}: {statement['purpose']} is {now['status']}"
        if now["statement_id"] != statement["statement_id"]:
            text += f" (decided by {now['subject']}, {now['stated_at']})"
    else:
        text += "\nno profile has this identifier yet; it counts once one does"
    emit(found, as_json, text)


@consent.command("grant")
@_statement_options
def grant(ctx: click.Context, identifier: str, purpose: str, as_json: bool,
          **details: Any) -> None:  # fmt: skip
    """Record that IDENTIFIER (type:value) grants PURPOSE."""
    _state(ctx, True, identifier, purpose, as_json, **details)


@consent.command("deny")
@_statement_options
def deny(ctx: click.Context, identifier: str, purpose: str, as_json: bool,
         **details: Any) -> None:  # fmt: skip
    """Record that IDENTIFIER (type:value) denies PURPOSE (an opt-out)."""
    details.pop("expires_at", None)  # a denial does not expire
    _state(ctx, False, identifier, purpose, as_json, **details)


@consent.command("show")
@click.argument("identifier")
@click.option("--purpose")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, identifier: str, purpose: str | None, as_json: bool) -> None:
    """The consent of IDENTIFIER's profile per purpose, and the statement that decided it."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.get_consents(identifier, purpose, 1)
    lines = [f"profile {found['profile_id'] or '(none yet)'}"]
    for c in found["consents"]:
        until = f" until {c['expires_at']}" if c["expires_at"] and c["granted"] else ""
        lines.append(f"  {c['purpose']:<18} {c['status']:<8} {c['stated_at']}"
                     f"  {c['source']} via {c['subject']} ({c['legal_basis']}){until}")  # fmt: skip
    if not found["consents"]:
        lines.append("  no consent stated for any purpose: nothing is sent")
    emit({k: v for k, v in found.items() if k != "history"}, as_json, "\n".join(lines))


@consent.command("history")
@click.argument("identifier")
@click.option("--purpose")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def history(ctx: click.Context, identifier: str, purpose: str | None, limit: int,
            as_json: bool) -> None:  # fmt: skip
    """Every statement of every identifier of IDENTIFIER's profile, newest first."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.consent_history(identifier, purpose, limit)
    text = "\n".join(
        f"{s['stated_at']}  {s['purpose']:<18} {'granted' if s['granted'] else 'denied':<8}"
        f" {s['source']:<6} {s['subject']}"
        + (f"  policy {s['policy_version']}" if s["policy_version"] else "")
        + (f"  expires {s['expires_at']}" if s["expires_at"] else "")
        for s in found
    )
    emit(found, as_json, text or "no statements")


@consent.group("purposes", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def purposes(ctx: click.Context, as_json: bool) -> None:
    """The purposes consent is asked for (built-in and registered) and their names."""
    if ctx.invoked_subcommand is not None:
        return
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_purposes()
    text = "\n".join(f"{p['purpose']:<18} {'built-in' if p['builtin'] else 'registered':<10}"
                     f" {', '.join(p['aliases'])}" for p in found)  # fmt: skip
    emit(found, as_json, text)


@purposes.command("add")
@click.argument("name")
@click.option("--description")
@click.option("--alias", "aliases", multiple=True,
              help="Another name, e.g. a consent platform's category id (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def add(ctx: click.Context, name: str, description: str | None, aliases: tuple[str, ...],
        as_json: bool) -> None:  # fmt: skip
    """Register purpose NAME, or more names for a purpose (built-in ones too)."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.add_purpose(name, description, list(aliases))
    emit(found, as_json, f"{found['purpose']}: {', '.join(found['aliases']) or 'no aliases'}")


def export_people(ctx: click.Context, purpose: str, segment: str | None, fmt: str,
                  output: str | None) -> None:  # fmt: skip
    """Write the people consenting to `purpose` (of `segment`) to OUTPUT or stdout."""
    if output is None and fmt == "parquet" and sys.stdout.isatty():
        raise click.UsageError("parquet is binary: give --output FILE")
    with open_backend(settings_from(ctx)) as backend:
        out = sys.stdout.buffer if output is None else Path(output)
        rows = backend.export_people(out, fmt, purpose, segment)
    if output is not None:
        click.echo(f"exported {rows} profiles consenting to {purpose} to {output}", err=True)


def export_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--purpose (required), --format and --output of the people exports."""
    fn = click.option("--output", "-o", type=click.Path(dir_okay=False),
                      help="File to write (default: stdout).")(fn)  # fmt: skip
    fn = click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl",
                      show_default=True)(fn)  # fmt: skip
    return click.option("--purpose", required=True,
                        help="Only people consenting to this purpose.")(fn)  # fmt: skip
