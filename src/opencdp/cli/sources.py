"""`opencdp sources ...`: create, list, show, enable/disable, limits and key rotation."""

from __future__ import annotations

from typing import Any

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from


def _describe(source: dict[str, Any]) -> str:
    state = "enabled" if source["enabled"] else "disabled"
    return f"{source['name']}\t{source['source_id']}\t{state}\twrite key: {source['write_key']}"


@click.group()
def sources() -> None:
    """Sources that may send data, and their write keys."""


@sources.command("create")
@click.argument("name")
@click.option("--max-message-bytes", type=int, help="Per-message limit (default 32 KB).")
@click.option("--max-batch-bytes", type=int, help="Per-request limit (default 500 KB, up to 4 MB).")
@click.option("--region", help="Country of phone numbers sent without a code (ISO 3166, e.g. TH).")
@click.option("--json", "as_json", is_flag=True, help="Print the source as JSON.")
@click.pass_context
def create(
    ctx: click.Context,
    name: str,
    max_message_bytes: int | None,
    max_batch_bytes: int | None,
    region: str | None,
    as_json: bool,
) -> None:
    """Create a source and print its write key."""
    with open_backend(settings_from(ctx)) as backend:
        source = backend.create_source(name, max_message_bytes, max_batch_bytes, region)
    emit(source, as_json, source["write_key"])


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List sources."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_sources()
    emit(found, as_json, "\n".join(_describe(s) for s in found) or "no sources yet")


@sources.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show one source."""
    with open_backend(settings_from(ctx)) as backend:
        source = backend.get_source(name)
    emit(source, as_json, _describe(source))


@sources.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def disable(ctx: click.Context, name: str, as_json: bool) -> None:
    """Stop accepting data from a source (its requests get 404)."""
    _set_enabled(ctx, name, False, as_json)


@sources.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def enable(ctx: click.Context, name: str, as_json: bool) -> None:
    """Accept data from a disabled source again."""
    _set_enabled(ctx, name, True, as_json)


def _set_enabled(ctx: click.Context, name: str, enabled: bool, as_json: bool) -> None:
    with open_backend(settings_from(ctx)) as backend:
        source = backend.set_source_enabled(name, enabled)
    emit(source, as_json, _describe(source))


@sources.command("rotate-key")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rotate_key(ctx: click.Context, name: str, as_json: bool) -> None:
    """Replace the write key; the old key stops working at once. Prints the new key."""
    with open_backend(settings_from(ctx)) as backend:
        source = backend.rotate_write_key(name)
    emit(source, as_json, source["write_key"])


@sources.command("set-limits")
@click.argument("name")
@click.option("--max-message-bytes", type=int)
@click.option("--max-batch-bytes", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def set_limits(
    ctx: click.Context,
    name: str,
    max_message_bytes: int | None,
    max_batch_bytes: int | None,
    as_json: bool,
) -> None:
    """Set a source's size limits (omit one to use the default)."""
    with open_backend(settings_from(ctx)) as backend:
        source = backend.set_source_limits(name, max_message_bytes, max_batch_bytes)
    emit(source, as_json, _describe(source))


@sources.command("set-region")
@click.argument("name")
@click.argument("region", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def set_region(ctx: click.Context, name: str, region: str | None, as_json: bool) -> None:
    """Set the country of the source's phone numbers without a code (omit it to clear)."""
    with open_backend(settings_from(ctx)) as backend:
        source = backend.set_source_region(name, region)
    emit(source, as_json, _describe(source))
