"""`opencdp quality`: how complete, valid, unique, consistent and fresh the data is."""

from __future__ import annotations

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.hygiene.quality import format_report


@click.command("quality")
@click.option("--source", help="Only this source (name or id).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quality(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """Data-quality report per source and field, with the top problems."""
    with open_backend(settings_from(ctx)) as backend:
        report = backend.quality_report(source)
    emit(report, as_json, format_report(report))
