"""`opencdp import`, `opencdp import-db`, `opencdp imports` and `opencdp mapping infer`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import yaml

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.sources.importer import Progress
from opencdp.sources.infer import infer_mapping, mapping_document
from opencdp.sources.mapping import load_mapping, parse_mapping
from opencdp.sources.readers import FORMATS, open_file
from opencdp.sources.transform import prepare_batch

PREVIEW_ROWS = 5


def _report_text(report: dict[str, Any]) -> str:
    lines = [
        f"import {report['import_id']} of {report['location']}",
        f"  rows read:      {report['rows_read']}",
        f"  records stored: {report['records_stored']} (unchanged: {report['unchanged']})",
        f"  events stored:  {report['events_stored']}",
        f"  quarantined:    {report['quarantined']} (new: {report['newly_quarantined']})",
    ]
    lines += [f"    {n} × {reason}" for reason, n in sorted(report["reasons"].items())]
    return "\n".join(lines)


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=0, label="importing", file=sys.stderr,
                           show_pos=True) as bar:  # fmt: skip
        yield bar.update


def _preview(
    path: Path, fmt: str | None, encoding: str | None, delimiter: str | None
) -> dict[str, Any]:
    stream = open_file(path, fmt=fmt, encoding=encoding, delimiter=delimiter, batch_rows=200)
    first = next(stream.batches, None)
    sample = {} if first is None else {
        name: first.column(i).to_pylist() for i, name in enumerate(first.schema.names)
    }  # fmt: skip
    mapping = infer_mapping(stream.columns, sample)
    document = mapping_document(mapping)
    click.echo(f"{path.name}: {stream.format}, encoding {stream.encoding or '-'}, "
               f"columns: {', '.join(stream.columns)}", err=True)  # fmt: skip
    click.echo("inferred mapping:\n" + yaml.safe_dump(document, allow_unicode=True), err=True)
    if first is not None and mapping.columns:
        shown = prepare_batch(first.slice(0, PREVIEW_ROWS), mapping, "preview", 2)
        for record in shown.records.to_pylist():
            click.echo(f"  profile {record['record_id']}: {record['identifiers']} "
                       f"{record['traits']}", err=True)  # fmt: skip
        for event in shown.events.to_pylist():
            click.echo(f"  event {event['event']} at {event['timestamp']}: "
                       f"{event['properties']}", err=True)  # fmt: skip
        for rejected in shown.rejections.to_pylist():
            click.echo(f"  refused row {rejected['row']}: {'; '.join(rejected['reasons'])}",
                       err=True)  # fmt: skip
    return document


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Source the records belong to (name or id).")
@click.option(
    "--mapping", "mapping_path", type=click.Path(exists=True, path_type=Path),
    help="Mapping file (YAML or JSON). Without it, one is inferred and previewed.",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name.")
@click.option(
    "--encoding", help="e.g. utf-8, cp932 (Shift_JIS), cp874 (TIS-620); default: detected."
)
@click.option("--delimiter", help="CSV delimiter; default: detected.")
@click.option("--yes", is_flag=True, help="Accept an inferred mapping without asking.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_command(
    ctx: click.Context, file: Path, source: str, mapping_path: Path | None, fmt: str | None,
    encoding: str | None, delimiter: str | None, yes: bool, as_json: bool,
) -> None:  # fmt: skip
    """Import a CSV/TSV, JSON Lines, Parquet or Excel file into a source."""
    if mapping_path is not None:
        document = mapping_document(load_mapping(mapping_path))
    else:
        document = _preview(file, fmt, encoding, delimiter)
        if not yes:
            if not sys.stdin.isatty():
                raise click.ClickException(
                    "no --mapping given: confirm the inferred one with --yes"
                )
            click.confirm("import with this mapping?", abort=True, err=True)
    parse_mapping(document)
    with open_backend(settings_from(ctx)) as backend, _progress(not as_json) as progress:
        report = backend.import_file(source, file, document, fmt, encoding, delimiter, progress)
    emit(report, as_json, _report_text(report))


@click.command("import-db")
@click.option("--source", required=True)
@click.option("--url", required=True, help="postgresql://user@host/db or mysql://user@host/db")
@click.option("--table")
@click.option("--query")
@click.option("--cursor", help="Column for incremental runs (updated_at, an id).")
@click.option(
    "--mapping", "mapping_path", required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_db(
    ctx: click.Context, source: str, url: str, table: str | None, query: str | None,
    cursor: str | None, mapping_path: Path, as_json: bool,
) -> None:  # fmt: skip
    """Import a CRM or shop database table or query; with --cursor only new or changed rows."""
    document = mapping_document(load_mapping(mapping_path))
    with open_backend(settings_from(ctx)) as backend, _progress(not as_json) as progress:
        report = backend.import_database(source, url, document, table, query, cursor, progress)
    emit(report, as_json, _report_text(report))


@click.group("imports")
def imports_group() -> None:
    """Import history."""


@imports_group.command("list")
@click.option("--source")
@click.option("--limit", type=click.IntRange(1, 1000), default=20)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_imports(ctx: click.Context, source: str | None, limit: int, as_json: bool) -> None:
    """Recent import runs with their counts and status."""
    with open_backend(settings_from(ctx)) as backend:
        runs = backend.list_imports(source, limit)
    text = "\n".join(
        f"{r['import_id']}  {r['status']:<9} {r['rows_read']:>9} rows  {r['location']}"
        for r in runs
    )
    emit(runs, as_json, text or "no imports yet")


@click.group("mapping")
def mapping_group() -> None:
    """Column mappings."""


@mapping_group.command("infer")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS))
@click.option("--encoding")
@click.option("--delimiter")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def infer(
    file: Path, fmt: str | None, encoding: str | None, delimiter: str | None, output: Path | None
) -> None:
    """Guess a mapping from the header and values, with a preview; write it to edit."""
    document = _preview(file, fmt, encoding, delimiter)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
