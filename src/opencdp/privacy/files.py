"""Files opencdp wrote that still hold a person: destination outputs and stored exports.

File destinations (plain files, ad-platform and e-mail lists) leave one set of files per
sync in their folder; each file is rewritten without the person's rows (found by profile
id, identifier value, or the SHA-256 of their normalised e-mail or phone that ad-platform
lists carry), atomically, in its own format. Access exports of the person kept in the data
directory are deleted. Copies already uploaded elsewhere are beyond reach: the receipt names
the destinations that held the person.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from opencdp.activate.files import file_name
from opencdp.activate.matching import clean_email, e164, hashed, meta_phone
from opencdp.privacy.subject import Subject

FILE_KINDS = ("file", "google_customer_match", "meta_custom_audience", "email_list")
EXPORTS = ("privacy", "exports")  # under the data directory: stored access exports
_EPOCH = datetime(2000, 1, 1)


def needles(subject: Subject) -> set[str]:
    """Lower-cased cell values that mark one of the person's rows."""
    found = {p.lower() for p in subject.profile_ids}
    for kind, value in subject.identifiers:
        if kind == "source_record":
            continue
        found.add(value.strip().lower())
        if kind == "email":
            found.add(hashed(clean_email(value)))
        elif kind == "phone":
            found.update({hashed(e164(value, None)), hashed(meta_phone(value, None))})
    found.discard("")
    return found


def destination_files(folder: Path, destination: str) -> list[Path]:
    """Files a destination's syncs wrote into `folder` (named `<name>-<time>-<kind>.<ext>`)."""
    stamp = _EPOCH.strftime("%Y%m%dT%H%M%S%fZ")
    safe = file_name(destination, _EPOCH, "s", "e").removesuffix(f"-{stamp}-s.e")
    pattern = re.compile(re.escape(safe) + r"-\d{8}T\d{12}Z-[a-z]+\.(csv|jsonl|parquet)$")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and pattern.match(p.name))


def scrub_file(path: Path, marks: set[str]) -> int:
    """Rewrite `path` without rows holding one of `marks`; returns rows removed."""
    scrub: Callable[[Path, set[str]], int] = {
        ".csv": _scrub_csv, ".jsonl": _scrub_jsonl, ".parquet": _scrub_parquet,
    }[path.suffix]  # fmt: skip
    return scrub(path, marks)


def scrub_destinations(destinations: list[tuple[str, str, dict[str, Any]]],
                       marks: set[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Scrub the files of every file-writing destination `(name, kind, config)`."""
    changed = []
    for name, kind, config in destinations:
        if kind not in FILE_KINDS or not isinstance(config.get("path"), str):
            continue
        for path in destination_files(Path(config["path"]), name):
            removed = scrub_file(path, marks)
            if removed:
                changed.append({"destination": name, "file": str(path), "rows_removed": removed})
    return changed


def delete_exports(data_dir: Path, request_ids: list[str]) -> int:
    """Delete stored access exports of these requests; returns files deleted."""
    folder = data_dir.joinpath(*EXPORTS)
    deleted = 0
    for request_id in request_ids:
        path = folder / f"{request_id}.json"
        if path.exists():
            path.unlink()
            deleted += 1
    return deleted


def _matches(value: Any, marks: set[str]) -> bool:
    if isinstance(value, str):
        text = value.strip().lower()
        return text in marks or text.lstrip("'") in marks
    if isinstance(value, dict):
        return any(_matches(v, marks) for v in value.values())
    if isinstance(value, list):
        return any(_matches(v, marks) for v in value)
    return False


def _mentions(raw: bytes, marks: set[str]) -> bool:
    """Whether the file's text contains any mark at all: most files do not hold the person,
    and a substring search over the whole file is far cheaper than parsing it."""
    low = raw.lower()
    return any(mark.encode() in low for mark in marks)


def _keep(table: pa.Table, marks: set[str]) -> pa.Array:
    """Rows none of whose string cells is a mark (trimmed, lower-cased, a spreadsheet
    guard quote ignored), computed column by column in Arrow."""
    value_set = pa.array(sorted(marks), pa.string())
    hit = pa.array([False] * table.num_rows, pa.bool_())
    for column in table.columns:
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        cells = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        unguarded = pc.utf8_ltrim(cells, characters="'")
        found = pc.or_(pc.is_in(cells, value_set=value_set),
                       pc.is_in(unguarded, value_set=value_set))  # fmt: skip
        hit = pc.or_(hit, pc.fill_null(found, False))
    return pc.invert(hit)


def _scrub_csv(path: Path, marks: set[str]) -> int:
    raw = path.read_bytes()
    if not raw or not _mentions(raw, marks):
        return 0
    header = next(csv.reader(io.StringIO(raw.split(b"\n", 1)[0].decode("utf-8"))))
    table = pa_csv.read_csv(io.BytesIO(raw), convert_options=pa_csv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False,
        quoted_strings_can_be_null=False))  # fmt: skip
    keep = _keep(table, marks)
    removed = table.num_rows - pc.sum(keep).as_py() if table.num_rows else 0
    if removed:
        sink = io.BytesIO()
        pa_csv.write_csv(table.filter(keep), sink,
                         pa_csv.WriteOptions(quoting_style="needed"))  # fmt: skip
        _replace(path, sink.getvalue())
    return int(removed)


def _scrub_jsonl(path: Path, marks: set[str]) -> int:
    raw = path.read_bytes()
    if not _mentions(raw, marks):
        return 0
    lines = raw.splitlines(keepends=True)
    kept = [line for line in lines if not (line.strip() and _matches(orjson.loads(line), marks))]
    removed = len(lines) - len(kept)
    if removed:
        _replace(path, b"".join(kept))
    return removed


def _scrub_parquet(path: Path, marks: set[str]) -> int:
    table = pq.read_table(path)
    if not table.num_rows:
        return 0
    keep = _keep(table, marks)
    removed = int(table.num_rows - pc.sum(keep).as_py())
    if removed:
        sink = io.BytesIO()
        pq.write_table(table.filter(keep), sink)
        _replace(path, sink.getvalue())
    return removed


def _replace(path: Path, data: bytes) -> None:
    """Write under a temporary name and rename into place: whole or not at all."""
    temporary = path.with_name("." + path.name + ".tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


