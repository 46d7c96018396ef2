"""Running imports against an open workspace: history, writer hand-off, cursors."""

from __future__ import annotations

from pathlib import Path

from opencdp.collect.sources import get_source
from opencdp.privacy.consent import ALIASES
from opencdp.privacy.purposes import registered
from opencdp.sources import history
from opencdp.sources.databases import DatabaseQuery, read_database
from opencdp.sources.importer import ImportReport, Progress, run_import
from opencdp.sources.infer import mapping_document
from opencdp.sources.mapping import Mapping, MappingError
from opencdp.sources.readers import FileStream, open_file
from opencdp.workspace import Workspace


def _run(
    workspace: Workspace,
    stream: FileStream,
    *,
    location: str,
    source: str,
    mapping: Mapping,
    progress: Progress | None,
    cursor_column: str | None = None,
) -> ImportReport:
    source_id = workspace.read(lambda con: get_source(con, source)).source_id
    _check_purposes(workspace, mapping)
    started: list[ImportReport] = []

    def on_start(report: ImportReport) -> None:
        started.append(report)
        document = mapping_document(mapping)
        workspace.write(lambda con: history.record_start(con, report, document))

    try:
        report = run_import(
            stream, location=location, source_id=source_id, mapping=mapping,
            submit=workspace.submit_records, progress=progress, cursor_column=cursor_column,
            on_start=on_start, personal=workspace.personal,
        )  # fmt: skip
    except BaseException:
        if started:
            workspace.write(lambda con: history.record_finish(con, started[0], "failed"))
        raise
    workspace.write(lambda con: history.record_finish(con, report, "completed"))
    return report


def _check_purposes(workspace: Workspace, mapping: Mapping) -> None:
    """Consent columns must name a built-in purpose or one the workspace registered."""
    rules = mapping.by_role("consent")
    known = workspace.read(registered) if rules else {}
    for rule in rules:
        if rule.name not in ALIASES and rule.name not in known:
            raise MappingError(f"column {rule.column!r}: unknown purpose {rule.name!r};"
                               " register it first (opencdp consent purposes add)")  # fmt: skip


def import_file(
    workspace: Workspace,
    path: Path,
    *,
    source: str,
    mapping: Mapping,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
    location: str | None = None,
) -> ImportReport:
    stream = open_file(path, fmt=fmt, encoding=encoding, delimiter=delimiter)
    return _run(workspace, stream, location=location or str(path.resolve()), source=source,
                mapping=mapping, progress=progress)  # fmt: skip


def import_database(
    workspace: Workspace,
    spec: DatabaseQuery,
    *,
    source: str,
    mapping: Mapping,
    progress: Progress | None = None,
) -> ImportReport:
    source_id = workspace.read(lambda con: get_source(con, source)).source_id
    after = (
        workspace.read(lambda con: history.last_cursor(con, source_id, spec.location))
        if spec.cursor
        else None
    )
    columns, batches = read_database(spec, after)
    stream = FileStream(spec.dialect, None, None, columns, batches)
    return _run(workspace, stream, location=spec.location, source=source, mapping=mapping,
                progress=progress, cursor_column=spec.cursor)  # fmt: skip
