"""`opencdp backup`, `opencdp restore` and `opencdp backups list|verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from opencdp.backup import BackupError, list_backups, restore_backup, verify_backup
from opencdp.cli.backend import RemoteBackend, open_backend, running_server_url
from opencdp.cli.common import data_dir_option, emit, settings_from
from opencdp.workspace import admin_token


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


@click.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the backup here (default: the backup directory, with retention).")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def backup(ctx: click.Context, output: Path | None, data_dir: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Write an encrypted, checksummed snapshot of the database as of now.

    While a server runs, the server makes it and collection goes on; otherwise the command
    opens the data directory itself.
    """
    if output is not None and output.exists():
        raise click.ClickException(f"{output} exists; choose a new file name")
    with open_backend(settings_from(ctx, data_dir=data_dir)) as backend:
        try:
            made = backend.create_backup(output.resolve() if output else None)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
    emit(made, as_json, f"backup {made['path']}: {_size(made['bytes'])}, {made['rows']:,} rows "
                        f"as of {made['taken_at']}")  # fmt: skip


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@click.option("--keep-previous", is_flag=True,
              help="Keep the replaced database as opencdp.duckdb.before-restore-<time>.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def restore(ctx: click.Context, file: Path, data_dir: str | None, keep_previous: bool,
            as_json: bool) -> None:  # fmt: skip
    """Verify backup FILE and make it the data directory's database.

    Refused while a server runs on the data directory. Erasures recorded after the backup
    was taken are applied again, so erased people stay erased.
    """
    settings = settings_from(ctx, data_dir=data_dir)
    try:
        report = restore_backup(settings, file.resolve(), keep_previous=keep_previous)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    emit(report, as_json, f"restored {report['rows']:,} rows in {report['tables']} tables as of "
                          f"{report['taken_at']}; erasures re-applied: "
                          f"{report['erasures_reapplied']}")  # fmt: skip


@click.group("backups")
def backups() -> None:
    """Backups: list them, verify a file."""


@backups.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, data_dir: str | None, as_json: bool) -> None:
    """The backups in the backup directory, newest first."""
    settings = settings_from(ctx, data_dir=data_dir)
    url = running_server_url(settings)  # the server may be configured with another folder
    found: list[dict[str, Any]] = (
        RemoteBackend(url, admin_token(settings)).list_backups() if url else list_backups(settings)
    )
    text = "\n".join(
        f"{b['name']}\t{_size(b['bytes'])}\t{b.get('taken_at', b.get('error', ''))}"
        for b in found
    )
    emit(found, as_json, text or "no backups")


@backups.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, file: Path, data_dir: str | None, as_json: bool) -> None:
    """Decrypt and checksum every byte of backup FILE without restoring it."""
    try:
        manifest = verify_backup(settings_from(ctx, data_dir=data_dir), file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    emit(manifest, as_json, f"{file}: intact, {rows:,} rows in {len(manifest['tables'])} "
                            f"tables as of {manifest['taken_at']}")  # fmt: skip
