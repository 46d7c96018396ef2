"""`opencdp segments ...`: define audiences in the segment language, count and list them."""

from __future__ import annotations

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.cli.consent import export_options, export_people


@click.group()
def segments() -> None:
    """Segments: audiences defined by traits, events, consent and other segments."""


@segments.command("create")
@click.argument("name")
@click.option("--where", "where", required=True,
              help='e.g. \'country = "TH" and did("Order Completed", 30d)\'')
@click.option("--description")
@click.option("--scheduled-only", is_flag=True, help="Re-evaluate on the schedule, not per event.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def create(ctx: click.Context, name: str, where: str, description: str | None,
           scheduled_only: bool, as_json: bool) -> None:  # fmt: skip
    """Define segment NAME and evaluate it now."""
    with open_backend(settings_from(ctx)) as backend:
        segment = backend.create_segment(name, where, None, description, not scheduled_only)
    emit(segment, as_json, f"{segment['name']}: {segment['member_count']:,} members\n"
                           f"  {segment['text']}")  # fmt: skip


@segments.command("update")
@click.argument("name")
@click.option("--where", "where", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def update(ctx: click.Context, name: str, where: str, as_json: bool) -> None:
    """Redefine segment NAME; entries and exits are recorded."""
    with open_backend(settings_from(ctx)) as backend:
        segment = backend.update_segment(name, where)
    emit(segment, as_json, f"{segment['name']}: {segment['member_count']:,} members")


@segments.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every segment with its member count."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_segments()
    text = "\n".join(f"{s['name']}\t{s['member_count']:,}\t{s['text']}" for s in found)
    emit(found, as_json, text or "no segments")


@segments.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """The definition, its SQL (DuckDB and Spark) and the last evaluation."""
    with open_backend(settings_from(ctx)) as backend:
        segment = backend.get_segment(name)
    text = (f"{segment['name']} ({segment['segment_id']}): {segment['member_count']:,} members,"
            f" evaluated {segment['evaluated_at']}\n  {segment['text']}\n\n"
            f"DuckDB:\n{segment['sql']['duckdb']}\n\n"
            f"Spark:\n{segment['sql']['spark']}")  # fmt: skip
    emit(segment, as_json, text)


@segments.command("count")
@click.argument("name")
@click.option("--sample", default=0, show_default=True, help="Also list this many members.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def count(ctx: click.Context, name: str, sample: int, as_json: bool) -> None:
    """How many profiles match NAME right now."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.count_segment(name, sample)
    emit(found, as_json, f"{found['count']:,}")


@segments.command("preview")
@click.option("--where", "where", required=True)
@click.option("--sample", default=10, show_default=True)
@click.option("--purpose", help="Count only those who may be activated for this purpose.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def preview(ctx: click.Context, where: str, sample: int, purpose: str | None,
            as_json: bool) -> None:  # fmt: skip
    """Count and sample the profiles a definition matches, without saving it."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.preview_segment(where, None, sample, purpose)
    emit(found, as_json, "\n".join([f"{found['count']:,} profiles", *found["sample"]]))


@segments.command("members")
@click.argument("name")
@click.option("--limit", default=100, show_default=True)
@click.option("--offset", default=0, show_default=True)
@click.option("--purpose", help="Only members who may be activated for this purpose.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def members(ctx: click.Context, name: str, limit: int, offset: int, purpose: str | None,
            as_json: bool) -> None:  # fmt: skip
    """The current members of NAME (with --purpose, only those consenting to it)."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.segment_members(name, limit, offset, purpose)
    text = "\n".join(f"{m['profile_id']}\t{m['entered_at']}\t{m['email'] or ''}"
                     for m in found["members"])  # fmt: skip
    emit(found, as_json, text or "no members")


@segments.command("export")
@click.argument("name")
@export_options
@click.pass_context
def export(ctx: click.Context, name: str, purpose: str, fmt: str, output: str | None) -> None:
    """Export the members of NAME who may be activated for --purpose, as a file."""
    export_people(ctx, purpose, name, fmt, output)


@segments.command("history")
@click.argument("name")
@click.option("--profile", "profile_id")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def history(ctx: click.Context, name: str, profile_id: str | None, limit: int,
            as_json: bool) -> None:  # fmt: skip
    """Who entered and left NAME, and when."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.segment_history(name, profile_id, limit)
    text = "\n".join(f"{h['at']}\t{h['change']}\t{h['profile_id']}\t{h['reason']}" for h in found)
    emit(found, as_json, text or "no changes")


@segments.command("evaluate")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evaluate(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Re-evaluate NAME (or every segment) now."""
    with open_backend(settings_from(ctx)) as backend:
        done = backend.evaluate_segments(name)
    text = "\n".join(f"{t['segment_id']}: +{t['entered']} -{t['exited']} = {t['members']}"
                     for t in done)  # fmt: skip
    emit(done, as_json, text or "no segments")


@segments.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete segment NAME (refused while another segment uses it)."""
    with open_backend(settings_from(ctx)) as backend:
        backend.delete_segment(name)
    click.echo(f"deleted {name}")
