"""`opencdp privacy ...`: data-subject requests (access, erasure), suppression, retention."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from


@click.group()
def privacy() -> None:
    """Data-subject requests, suppressed identifiers and retention policies."""


@privacy.command("export")
@click.argument("identifier")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the export here (mode 0600) instead of standard output.")  # fmt: skip
@click.pass_context
def export(ctx: click.Context, identifier: str, output: Path | None) -> None:
    """Everything held about the person IDENTIFIER (any of their identifiers), as JSON
    (GDPR Art. 15 access / Art. 20 portability)."""
    with open_backend(settings_from(ctx)) as backend:
        result = backend.privacy_export(identifier)
    text = json.dumps(result["export"], indent=2, ensure_ascii=False)
    request = result["request"]
    if output is None:
        click.echo(text)
    else:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    sizes = request["receipt"]["sections"]
    held = ", ".join(f"{k} {v}" for k, v in sizes.items() if v) or "nothing"
    click.echo(f"request {request['request_id']} completed: {held}", err=True)


@privacy.command("erase")
@click.argument("identifier")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def erase(ctx: click.Context, identifier: str, yes: bool, as_json: bool) -> None:
    """Erase the person IDENTIFIER everywhere and suppress their identifiers (GDPR Art. 17).

    Follows every identifier merged into their profile; later events and imports carrying
    any of them are dropped. Cannot be undone."""
    if not yes:
        click.confirm(f"Erase every record of {identifier!r} and suppress their identifiers?"
                      " This cannot be undone", abort=True)  # fmt: skip
    with open_backend(settings_from(ctx)) as backend:
        request = backend.privacy_erase(identifier)
    emit(request, as_json, _receipt_text(request))
    if request["status"] != "completed":  # deleted, but a later step is to be retried
        ctx.exit(1)


def _receipt_text(request: dict[str, Any]) -> str:
    receipt = request.get("receipt") or {}
    lines = [f"request {request['request_id']}: {request['status']}"]
    if not receipt.get("found"):
        lines.append("  no profile held this identifier")
    tables = receipt.get("tables", {})
    if tables:
        lines.append("  rows deleted: " + ", ".join(f"{t} {n}" for t, n in sorted(tables.items())))
    for item in receipt.get("files", []):
        lines.append(f"  file rewritten: {item['file']} (-{item['rows_removed']} rows)")
    for item in receipt.get("database_destinations", []):
        lines.append(f"  rows deleted from database destination {item['destination']}:"
                     f" {item['rows_deleted']}")  # fmt: skip
    for item in receipt.get("files_failed", []):
        where = item.get("file") or f"destination {item.get('destination')}"
        lines.append(f"  NOT cleaned, see to it by hand: {where} ({item['error']})")
    if receipt.get("exports_deleted"):
        lines.append(f"  stored access exports deleted: {receipt['exports_deleted']}")
    if receipt.get("destinations_to_notify"):
        lines.append("  destinations that held the person (ask them to delete too): "
                     + ", ".join(receipt["destinations_to_notify"]))  # fmt: skip
    lines.append(f"  identifiers suppressed: {receipt.get('suppressed_identifiers', 0)}")
    if request.get("error"):
        lines.append(f"  not finished: {request['error']}")
    return "\n".join(lines)


@privacy.command("requests")
@click.option("--status", type=click.Choice(["received", "running", "completed", "failed"]))
@click.option("--kind", type=click.Choice(["access", "erasure"]))
@click.option("--overdue", is_flag=True, help="Only unfinished requests past their due date.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def requests(ctx: click.Context, status: str | None, kind: str | None, overdue: bool,
             limit: int, as_json: bool) -> None:  # fmt: skip
    """Privacy requests, newest first, with status and due date."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.privacy_requests(status, kind, overdue, limit)
    text = "\n".join(f"{r['request_id']}\t{r['kind']}\t{r['status']}\treceived"
                     f" {r['received_at'][:19]}\tdue {r['due_at'][:10]}"
                     for r in found)  # fmt: skip
    emit(found, as_json, text or "no privacy requests")


@privacy.command("request")
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def request(ctx: click.Context, request_id: str, as_json: bool) -> None:
    """One request with its receipt."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.privacy_request(request_id)
    if found["kind"] == "erasure":
        emit(found, as_json, _receipt_text(found))
    else:
        emit(found, True)


@privacy.command("suppression")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def suppression(ctx: click.Context, as_json: bool) -> None:
    """How many identifiers are suppressed and how many messages were dropped."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.suppression_status()
    drops = "\n".join(f"  {d['day']}\t{d['source_id']}\t{d['stage']}\t{d['dropped']}"
                      for d in found["drops"])  # fmt: skip
    emit(found, as_json, f"{found['suppressed_identifiers']} identifiers suppressed"
                         + (f"\ndropped:\n{drops}" if drops else ""))  # fmt: skip


@privacy.group("retention")
def retention() -> None:
    """Retention policies: delete events and records past their age."""


@retention.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retention_list(ctx: click.Context, as_json: bool) -> None:
    with open_backend(settings_from(ctx)) as backend:
        found = backend.retention_policies()
    text = "\n".join(f"{p['name']}\t{p['max_age_days']} days\tsource {p['source'] or 'any'}"
                     f"\tevent {p['event'] or 'any'}\tlast applied {p['last_applied_at']}"
                     for p in found)  # fmt: skip
    emit(found, as_json, text or "no retention policies")


@retention.command("set")
@click.argument("name")
@click.option("--max-age", required=True, help="e.g. 90d, 12w, 6m (30 days), 2y (365 days).")
@click.option("--source", help="Only this source's events (and records).")
@click.option("--event", help="Only events of this name or type (records are then kept).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retention_set(ctx: click.Context, name: str, max_age: str, source: str | None,
                  event: str | None, as_json: bool) -> None:  # fmt: skip
    """Create or replace policy NAME."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.set_retention_policy(name, max_age, source, event)
    emit(found, as_json, f"{found['name']}: delete after {found['max_age_days']} days")


@retention.command("delete")
@click.argument("name")
@click.pass_context
def retention_delete(ctx: click.Context, name: str) -> None:
    with open_backend(settings_from(ctx)) as backend:
        backend.delete_retention_policy(name)
    click.echo(f"{name}: deleted")


@retention.command("apply")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retention_apply(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Apply the policies NAMES (default: all) now."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.apply_retention(list(names) or None)
    text = "\n".join(f"{r['name']}: events {r['events']}, records {r['source_records']},"
                     f" profiles re-derived {r['profiles_rederived']}" for r in found)  # fmt: skip
    emit(found, as_json, text or "no retention policies")
