"""`opencdp traits ...`: computed traits (RFM, counts, sums, rates) kept on every profile."""

from __future__ import annotations

import json

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from


@click.group()
def traits() -> None:
    """Computed traits: aggregates over each profile's events and records."""


@traits.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every computed trait, built-in or defined."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.list_computed_traits()
    text = "\n".join(f"{t['name']}\t{'built-in' if t['builtin'] else 'defined'}\t"
                     f"{json.dumps(t['definition'])}" for t in found)  # fmt: skip
    emit(found, as_json, text or "no computed traits")


@traits.command("show")
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.get_computed_trait(name), True)


@traits.command("define")
@click.argument("name")
@click.argument("definition")
@click.pass_context
def define(ctx: click.Context, name: str, definition: str) -> None:
    """Define NAME from a JSON DEFINITION, e.g.
    '{"aggregate": "count", "event": "Order Completed", "window_days": 30}'."""
    try:
        parsed = json.loads(definition)
    except ValueError as exc:
        raise click.BadParameter(f"DEFINITION is not JSON: {exc}") from None
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.define_computed_trait(name, parsed), True)


@traits.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    with open_backend(settings_from(ctx)) as backend:
        backend.delete_computed_trait(name)
    click.echo(f"deleted {name}")


@traits.command("compute")
@click.argument("names", nargs=-1)
@click.pass_context
def compute(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Recompute NAMES (default: every computed trait) for every profile."""
    with open_backend(settings_from(ctx)) as backend:
        emit(backend.compute_traits(list(names) or None), True)
