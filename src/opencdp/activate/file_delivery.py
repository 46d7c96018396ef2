"""Files, ad-platform lists and email-tool lists written into a folder, one set per sync.

A plain file destination writes one CSV, JSON Lines or Parquet file per sync with a
`change` column (entered, updated, unchanged in a full sync, exited). List destinations
write the platform's import shape: one `members` (full) or `add` (incremental) file and,
when anyone left, a `remove` file of the same shape to upload as a removal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opencdp.activate.audience import Change, Plan
from opencdp.activate.catalog import Destination
from opencdp.activate.files import file_name, write_csv, write_jsonl, write_parquet
from opencdp.activate.lists import (
    EMAIL_LIST_HEADERS,
    GOOGLE_HEADERS,
    META_HEADERS,
    Rows,
    email_list,
    google_customer_match,
    meta_custom_audience,
)  # fmt: skip
from opencdp.activate.outcome import Outcome

CURRENT = ("entered", "updated", "unchanged")


def deliver_files(destination: Destination, plan: Plan, now: datetime) -> Outcome:
    folder = Path(destination.config["path"])
    if destination.kind == "file":
        return _plain(destination, plan, folder, now)
    return _lists(destination, plan, folder, now)


def _plain(destination: Destination, plan: Plan, folder: Path, now: datetime) -> Outcome:
    fmt = destination.config["format"]
    headers = ["profile_id", "change", *plan.traits]
    path = folder / file_name(destination.name, now, plan.mode, fmt)
    if fmt == "jsonl":
        records: list[dict[str, Any]] = [
            {"profile_id": c.profile_id, "change": c.change,
             "traits": {} if c.change == "exited" else c.values}
            for c in plan.changes
        ]  # fmt: skip
        write_jsonl(path, records)
    else:
        rows = [[c.profile_id, c.change, *_values(c.values, plan.traits, c.change)]
                for c in plan.changes]  # fmt: skip
        (write_csv if fmt == "csv" else write_parquet)(path, headers, rows)
    return Outcome(delivered=list(plan.changes), files=[str(path)])


def _values(values: dict[str, Any], traits: list[str], change: str) -> list[Any]:
    # A leaver's traits are not sent: they may have withdrawn consent.
    return [None if change == "exited" else values.get(t) for t in traits]


def _lists(destination: Destination, plan: Plan, folder: Path, now: datetime) -> Outcome:
    headers, shape = _shape(destination)
    written = []
    members = plan.of(*CURRENT)
    suffix = "members" if plan.mode == "full" else "add"
    if members or plan.mode == "full":
        written.append(write_csv(folder / file_name(destination.name, now, suffix, "csv"),
                                 headers, shape(members)))  # fmt: skip
    leavers = plan.of("exited")
    if leavers:
        written.append(write_csv(folder / file_name(destination.name, now, "remove", "csv"),
                                 headers, shape(leavers)))  # fmt: skip
    return Outcome(delivered=list(plan.changes), files=[str(p) for p in written])


def _shape(destination: Destination) -> tuple[list[str], Callable[[Sequence[Change]], Rows]]:
    config = destination.config
    region = config.get("default_region")
    if destination.kind == "google_customer_match":
        return GOOGLE_HEADERS, lambda changes: google_customer_match(changes, region)
    if destination.kind == "meta_custom_audience":
        return META_HEADERS, lambda changes: meta_custom_audience(changes, region)
    tags = config.get("tags", [])
    return EMAIL_LIST_HEADERS, lambda changes: email_list(changes, tags)
