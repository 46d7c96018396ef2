"""`opencdp generate`: write synthetic multi-source data with ground truth to a directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from opencdp.generate.config import LOCALES, SOURCES, parse_list

if TYPE_CHECKING:
    from opencdp.generate.engine import GenerationSummary


def _show(summary: GenerationSummary) -> None:
    width = max(len(name) for name in summary.files) if summary.files else 0
    for name, rows in summary.files.items():
        click.echo(f"  {name:<{width}}  {rows:>12,} rows")
    click.echo(
        f"{summary.people:,} people in {summary.seconds:.1f} s "
        f"({summary.people_per_second:,.0f} people/s) → {summary.out_dir}"
    )


@click.command("generate")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("synthetic-data"),
    show_default=True,
    help="Output directory.",
)
@click.option(
    "--people",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Number of people (ignored with --contacts/--orders).",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Random seed; the same seed and options give byte-identical files.",
)
@click.option(
    "--locales",
    default=",".join(LOCALES),
    show_default=True,
    help="Comma-separated languages of the people: en (US and UK), th, ja.",
)
@click.option(
    "--sources",
    default=",".join(SOURCES),
    show_default=True,
    help="Comma-separated sources to write.",
)
@click.option(
    "--contacts",
    type=click.IntRange(min=0),
    default=None,
    help="Row mode: write exactly N CRM contact rows (for import benchmarks).",
)
@click.option(
    "--orders",
    type=click.IntRange(min=0),
    default=None,
    help="Row mode: write exactly N order rows (for import benchmarks).",
)
@click.option(
    "--truth/--no-truth",
    default=True,
    show_default=True,
    help="Write ground_truth.csv and people.csv.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def generate(
    out_dir: Path,
    people: int,
    seed: int,
    locales: str,
    sources: str,
    contacts: int | None,
    orders: int | None,
    truth: bool,
    as_json: bool,
) -> None:
    """Write synthetic customer data for N people across several sources, with ground truth.

    Files: events.jsonl (Segment messages), crm_contacts.csv, orders.csv, email_activity.csv,
    support_tickets.csv, surveys.csv, social.jsonl, ground_truth.csv (source, record id →
    person), people.csv (true values) and manifest.json.
    """
    try:
        langs = parse_list(locales, LOCALES)
        chosen = parse_list(sources, SOURCES)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    row_mode = contacts is not None or orders is not None
    total = (contacts or 0) + (orders or 0) if row_mode else people
    show_bar = sys.stderr.isatty() and not as_json
    with click.progressbar(
        length=total, label="generating", file=sys.stderr, hidden=not show_bar
    ) as bar:
        # Imported here: Faker and the writers load only when the command runs, not with the CLI.
        from opencdp.generate.engine import generate as run_generate

        try:
            summary = run_generate(
                out_dir,
                people,
                seed,
                locales=langs,
                sources=chosen,
                contacts=contacts,
                orders=orders,
                truth=truth,
                progress=bar.update,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "out_dir": str(summary.out_dir),
                    "people": summary.people,
                    "seed": summary.seed,
                    "files": summary.files,
                    "seconds": round(summary.seconds, 3),
                },
                indent=2,
            )
        )
    else:
        _show(summary)
