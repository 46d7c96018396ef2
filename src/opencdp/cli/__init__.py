"""The `opencdp` command line: one entry point, a group per stage."""

from __future__ import annotations

import click

from opencdp import __version__
from opencdp.cli.audit import audit
from opencdp.cli.backups import backup, backups, restore
from opencdp.cli.common import run_group
from opencdp.cli.consent import consent
from opencdp.cli.destinations import destinations
from opencdp.cli.events import events, quarantine_group
from opencdp.cli.imports import import_command, import_db, imports_group, mapping_group
from opencdp.cli.predict import predict
from opencdp.cli.privacy import privacy
from opencdp.cli.profiles import identity, profiles
from opencdp.cli.quality import quality
from opencdp.cli.security import tokens, users
from opencdp.cli.segments import segments
from opencdp.cli.serve import demo, serve
from opencdp.cli.sources import sources
from opencdp.cli.traits import traits
from opencdp.generate.command import generate


@click.group(cls=run_group())
@click.version_option(__version__, prog_name="opencdp")
@click.option(
    "--data-dir",
    envvar="OPENCDP_DATA_DIR",
    type=click.Path(file_okay=False),
    help="Data directory (env OPENCDP_DATA_DIR, default ./opencdp-data).",
)
@click.option(
    "--reason",
    envvar="OPENCDP_REASON",
    help="Why you access the data (e.g. a ticket number); kept in the audit log.",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, reason: str | None) -> None:
    """opencdp: an open-source Customer Data Platform."""
    ctx.obj = {"data_dir": data_dir, "reason": reason}


cli.add_command(serve)
cli.add_command(demo)
cli.add_command(sources)
cli.add_command(events)
cli.add_command(quarantine_group)
cli.add_command(import_command)
cli.add_command(import_db)
cli.add_command(imports_group)
cli.add_command(mapping_group)
cli.add_command(generate)
cli.add_command(quality)
cli.add_command(profiles)
cli.add_command(identity)
cli.add_command(segments)
cli.add_command(users)
cli.add_command(tokens)
cli.add_command(destinations)
cli.add_command(traits)
cli.add_command(consent)
cli.add_command(audit)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(backups)
cli.add_command(privacy)
cli.add_command(predict)


def main() -> None:
    cli(prog_name="opencdp")


if __name__ == "__main__":
    main()
