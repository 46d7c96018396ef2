"""`opencdp profiles ...` and `opencdp identity ...`: the single customer view from the CLI."""

from __future__ import annotations

import csv
import sys

import click

from opencdp.cli.backend import open_backend
from opencdp.cli.common import emit, settings_from
from opencdp.cli.consent import export_options, export_people


@click.group()
def profiles() -> None:
    """Look up unified customer profiles."""


@profiles.command("get")
@click.argument("identifier")
@click.option("--limit", default=50, show_default=True, help="Timeline items.")
@click.option("--before", type=int, help="Timeline items older than this seq (next page).")
@click.option("--event", help="Only this event name or type in the timeline.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def get(
    ctx: click.Context,
    identifier: str,
    limit: int,
    before: int | None,
    event: str | None,
    as_json: bool,
) -> None:
    """Show the profile of IDENTIFIER (a profile id, `type:value`, or any identifier value)."""
    with open_backend(settings_from(ctx)) as backend:
        profile = backend.get_profile(identifier, limit=limit, before=before, event=event)
    lines = [profile["profile_id"]]
    lines += [f"  {i['type']}: {i['value']}" for i in profile["identifiers"]]
    lines += [f"  trait {name} = {t['value']!r} ({t['source_id']}, {t['at']})"
              for name, t in profile["traits"].items()]  # fmt: skip
    lines.append(f"  {len(profile['timeline']['items'])} timeline items,"
                 f" {len(profile['merges'])} merges")  # fmt: skip
    emit(profile, as_json, "\n".join(lines))


@profiles.command("search")
@click.argument("fragment")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, fragment: str, limit: int, as_json: bool) -> None:
    """Profiles with a name, e-mail, phone or other identifier containing FRAGMENT."""
    with open_backend(settings_from(ctx)) as backend:
        found = backend.search_profiles(fragment, limit)
    text = "\n".join(f"{p['profile_id']}\t{'; '.join(p['matches'])}" for p in found)
    emit(found, as_json, text or "no matching profiles")


@profiles.command("export")
@click.option("--segment", help="Only the members of this segment (activation by file).")
@export_options
@click.pass_context
def export(ctx: click.Context, segment: str | None, purpose: str, fmt: str,
           output: str | None) -> None:  # fmt: skip
    """Export the golden records of the people consenting to --purpose."""
    export_people(ctx, purpose, segment, fmt, output)


@click.group()
def identity() -> None:
    """Identity resolution: rebuild, matching and its review queue, unmerge, clusters."""


@identity.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """Resolve every event and record again from the log."""
    with open_backend(settings_from(ctx)) as backend:
        result = backend.rebuild_identity()
    text = (f"{result['observations']:,} observations → {result['profiles']:,} profiles,"
            f" {result['merges']:,} merges, {result['violations']:,} rule violations"
            f" in {result['seconds']} s")  # fmt: skip
    emit(result, as_json, text)


@identity.command("unmerge")
@click.argument("identifier")
@click.argument("origin")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def unmerge(ctx: click.Context, identifier: str, origin: str, as_json: bool) -> None:
    """Split IDENTIFIER's profile by undoing the merges ORIGIN caused (see `profiles get`)."""
    with open_backend(settings_from(ctx)) as backend:
        result = backend.unmerge(identifier, origin)
    emit(result, as_json, f"{result['profile_id']} → {', '.join(result['profiles'])}")


@identity.command("resolve")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def resolve(ctx: click.Context, as_json: bool) -> None:
    """Match imported records that share no identifier (Fellegi-Sunter); merge or queue them."""
    with open_backend(settings_from(ctx)) as backend:
        result = backend.resolve_matches()
    text = (f"{result['records']:,} records, {result['candidate_pairs']:,} candidate pairs:"
            f" {result['merged']:,} merged, {result['queued']:,} queued for review"
            f" in {result['seconds']} s")  # fmt: skip
    emit(result, as_json, text)


@identity.command("review")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Pairs waiting for a decision, most likely first, with why they scored so."""
    with open_backend(settings_from(ctx)) as backend:
        pairs = backend.review_queue(limit)
    lines = []
    for pair in pairs:
        fields = ", ".join(f"{f['field']} {f['label']} ({f['weight']:+.1f})"
                           for f in pair["explanation"]["fields"])  # fmt: skip
        lines.append(f"{pair['record_l']}  {pair['record_r']}  p={pair['match_probability']:.3f}"
                     f"  {fields}")  # fmt: skip
    emit(pairs, as_json, "\n".join(lines) or "nothing to review")


def _decide(ctx: click.Context, record_l: str, record_r: str, accept: bool) -> None:
    with open_backend(settings_from(ctx)) as backend:
        result = backend.decide_match(record_l, record_r, accept)
    emit(result, False, f"{record_l} and {record_r}: {result['status']}")


@identity.command("accept")
@click.argument("record_l")
@click.argument("record_r")
@click.pass_context
def accept(ctx: click.Context, record_l: str, record_r: str) -> None:
    """Merge a pair from the review queue (records as SOURCE_ID:RECORD_ID)."""
    _decide(ctx, record_l, record_r, accept=True)


@identity.command("reject")
@click.argument("record_l")
@click.argument("record_r")
@click.pass_context
def reject(ctx: click.Context, record_l: str, record_r: str) -> None:
    """Keep a pair from the review queue apart, for good."""
    _decide(ctx, record_l, record_r, accept=False)


@identity.command("clusters")
@click.option("--source", help="Only records of this source.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.pass_context
def clusters(ctx: click.Context, source: str | None, fmt: str) -> None:
    """Source name, source record id and the profile id each imported record resolved to."""
    with open_backend(settings_from(ctx)) as backend:
        rows = backend.identity_clusters(source)
    if fmt == "json":
        emit(rows, True, "")
        return
    writer = csv.writer(sys.stdout)
    writer.writerow(["source", "record_id", "profile_id"])
    writer.writerows((r["source"], r["record_id"], r["profile_id"]) for r in rows)
