"""Files opencdp wrote that still hold a person: destination outputs and stored exports.

File destinations (plain files, ad-platform and e-mail lists) leave one set of files per
sync in their folder; each file is rewritten without the person's rows, atomically, in its
own format. The formats are opencdp's own, so a row is theirs by what its columns mean: the
`profile_id` column holds one of their profile ids, an e-mail column their address (or its
SHA-256, as ad-platform lists carry it), a phone column their number (or its SHA-256). No
other column is compared, so erasing `user_id:42` does not remove the rows of everyone aged
42. Every file is scrubbed on its own: one that cannot be read is reported with the reason
(never with its content) and the others are still done.

A destination deleted or moved to another folder leaves its files behind: the folders every
file destination used are remembered (`destination-folders.jsonl` under the data
directory's `privacy/`, names and paths only) and scrubbed as long as they exist.

Access exports of the person kept in the data directory are deleted, and stored exports
expire (`privacy_export_days`). Copies already uploaded elsewhere are beyond reach: the
receipt names the destinations that held the person.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
FOLDERS = ("privacy", "destination-folders.jsonl")  # folders file destinations used
_EPOCH = datetime(2000, 1, 1)
_FOLDERS_LOCK = threading.Lock()

Destinations = list[tuple[str, str, dict[str, Any]]]  # (name, kind, config)


@dataclass(frozen=True)
class Marks:
    """Lower-cased cell values that make a row the person's, by the column they are in."""

    profiles: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    def any(self) -> frozenset[str]:
        return self.profiles | self.emails | self.phones

    def for_column(self, name: object) -> frozenset[str]:
        """What a cell of column `name` is compared with (nothing for other columns)."""
        key = re.sub(r"[^a-z0-9]", "", str(name).lower())
        if key == "profileid":
            return self.profiles
        if "email" in key:
            return self.emails
        if "phone" in key or "mobile" in key:
            return self.phones
        return frozenset()

    def __bool__(self) -> bool:
        return bool(self.profiles or self.emails or self.phones)


def needles(subject: Subject) -> Marks:
    """The marks of one person's rows (see `Marks`)."""
    emails: set[str] = set()
    phones: set[str] = set()
    for kind, value in subject.identifiers:
        text = value.strip().lower()
        if kind == "email":
            emails.update({text, hashed(clean_email(value))})
        elif kind == "phone":
            phones.update({text, hashed(e164(value, None)), hashed(meta_phone(value, None))})
    profiles = {p.lower() for p in subject.profile_ids}
    return Marks(*(frozenset(s - {""}) for s in (profiles, emails, phones)))


def destination_files(folder: Path, destination: str) -> list[Path]:
    """Files a destination's syncs wrote into `folder` (named `<name>-<time>-<kind>.<ext>`)."""
    stamp = _EPOCH.strftime("%Y%m%dT%H%M%S%fZ")
    safe = file_name(destination, _EPOCH, "s", "e").removesuffix(f"-{stamp}-s.e")
    pattern = re.compile(re.escape(safe) + r"-\d{8}T\d{12}Z-[a-z]+\.(csv|jsonl|parquet)$")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and pattern.match(p.name))


def scrub_file(path: Path, marks: Marks) -> int:
    """Rewrite `path` without the rows `marks` identify; returns rows removed."""
    scrub: Callable[[Path, Marks], int] = {
        ".csv": _scrub_csv, ".jsonl": _scrub_jsonl, ".parquet": _scrub_parquet,
    }[path.suffix]  # fmt: skip
    return scrub(path, marks)


def scrub_destinations(
    destinations: Destinations, marks: Marks
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Scrub the files of every file-writing destination `(name, kind, config)`; returns
    the files changed and the files that could not be scrubbed (with the reason)."""
    changed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    seen: set[tuple[str, Path]] = set()
    for name, kind, config in destinations:
        if kind not in FILE_KINDS or not isinstance(config.get("path"), str):
            continue
        folder = Path(config["path"])
        if (name, folder) in seen:
            continue
        seen.add((name, folder))
        changed_here, failed_here = scrub_folder(name, folder, marks)
        changed += changed_here
        failed += failed_here
    return changed, failed


def scrub_folder(
    name: str, folder: Path, marks: Marks
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Scrub one destination's files in one folder, each on its own."""
    changed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    try:
        paths = destination_files(folder, name)
    except OSError as exc:
        return [], [{"destination": name, "file": str(folder), "error": error_text(exc)}]
    for path in paths:
        try:
            removed = scrub_file(path, marks)
        except Exception as exc:  # one bad file must not keep the others holding the person
            failed.append({"destination": name, "file": str(path), "error": error_text(exc)})
            continue
        if removed:
            changed.append({"destination": name, "file": str(path), "rows_removed": removed})
    return changed, failed


def error_text(exc: BaseException) -> str:
    """Why a file could not be handled, never its content (parsers quote the bad row)."""
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'input/output error'}"
    return f"{type(exc).__name__}: the file could not be read as the format its name says"


# folders of deleted and moved destinations -------------------------------------------------
def remember_folders(data_dir: Path, destinations: Destinations) -> None:
    """Note the folders of these file destinations, so their files are scrubbed by every
    later erasure even after the destination is deleted or points elsewhere."""
    wanted = [(name, kind, config["path"]) for name, kind, config in destinations
              if kind in FILE_KINDS and isinstance(config.get("path"), str)]  # fmt: skip
    if not wanted:
        return
    path = data_dir.joinpath(*FOLDERS)
    with _FOLDERS_LOCK:
        known = {(n, c["path"]) for n, _, c in remembered_folders(data_dir)}
        lines = [orjson.dumps({"destination": n, "kind": k, "path": p}) + b"\n"
                 for n, k, p in wanted if (n, p) not in known]  # fmt: skip
        if not lines:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, b"".join(lines))
            os.fsync(fd)
        finally:
            os.close(fd)


def remembered_folders(data_dir: Path) -> Destinations:
    """The file destinations' folders noted by `remember_folders`, as destinations."""
    path = data_dir.joinpath(*FOLDERS)
    if not path.exists():
        return []
    found: Destinations = []
    for line in path.read_bytes().splitlines():
        try:
            item = orjson.loads(line)
            found.append((str(item["destination"]), str(item["kind"]),
                          {"path": str(item["path"])}))  # fmt: skip
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # a torn last line: the folder is noted again next time
    return found


# stored access exports ----------------------------------------------------------------------
def delete_exports(
    data_dir: Path, request_ids: Iterable[str]
) -> tuple[int, list[dict[str, Any]]]:
    """Delete stored access exports of these requests; returns files deleted and those
    that could not be, with the reason."""
    folder = data_dir.joinpath(*EXPORTS)
    deleted, failed = 0, []
    for request_id in request_ids:
        path = folder / f"{request_id}.json"
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append({"file": str(path), "error": error_text(exc)})
    return deleted, failed


def expire_exports(
    data_dir: Path, completed: dict[str, datetime | None], now: datetime, days: int
) -> list[str]:
    """Delete stored exports older than `days` (by their request's completion, or the
    file's time when the request is unknown, e.g. after a restore); returns their ids."""
    folder = data_dir.joinpath(*EXPORTS)
    if days <= 0 or not folder.is_dir():
        return []
    cutoff = now - timedelta(days=days)
    expired = []
    for path in folder.glob("*.json"):
        request_id = path.stem
        try:
            when = completed.get(request_id) or datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if when < cutoff:
                path.unlink()
                expired.append(request_id)
        except FileNotFoundError:
            continue
    return sorted(expired)


# the formats --------------------------------------------------------------------------------
def _hit(value: Any, marks: frozenset[str]) -> bool:
    if not marks or not isinstance(value, str):
        return False
    text = value.strip().lower()
    return text in marks or text.lstrip("'") in marks


def _matches(record: Any, marks: Marks, column: str = "") -> bool:
    """Whether a JSON value (a row of a JSON Lines file) holds one of the marks in a
    column that means it: keys name the columns, nested objects (`traits`) too."""
    if isinstance(record, dict):
        return any(_matches(v, marks, str(k)) for k, v in record.items())
    if isinstance(record, list):
        return any(_matches(v, marks, column) for v in record)
    return _hit(record, marks.for_column(column))


def _mentions(raw: bytes, marks: Marks) -> bool:
    """Whether the file's text contains any mark at all: most files do not hold the person,
    and a substring search over the whole file is far cheaper than parsing it."""
    low = raw.lower()
    return any(mark.encode() in low for mark in marks.any())


def _keep(table: pa.Table, marks: Marks) -> pa.Array:
    """Rows none of whose meaningful cells is a mark (trimmed, lower-cased, a spreadsheet
    guard quote ignored), computed column by column in Arrow."""
    hit = pa.array([False] * table.num_rows, pa.bool_())
    for name, column in zip(table.column_names, table.columns, strict=True):
        wanted = marks.for_column(name)
        if not wanted or not (pa.types.is_string(column.type)
                              or pa.types.is_large_string(column.type)):  # fmt: skip
            continue
        value_set = pa.array(sorted(wanted), pa.string())
        cells = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        unguarded = pc.utf8_ltrim(cells, characters="'")
        found = pc.or_(pc.is_in(cells, value_set=value_set),
                       pc.is_in(unguarded, value_set=value_set))  # fmt: skip
        hit = pc.or_(hit, pc.fill_null(found, False))
    return pc.invert(hit)


def _scrub_csv(path: Path, marks: Marks) -> int:
    raw = path.read_bytes()
    if not raw or not _mentions(raw, marks):
        return 0
    header = next(csv.reader(io.StringIO(raw.split(b"\n", 1)[0].decode("utf-8"))))
    try:
        table = pa_csv.read_csv(io.BytesIO(raw), convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False,
            quoted_strings_can_be_null=False))  # fmt: skip
    except pa.ArrowInvalid:  # ragged rows (a file edited by hand): row by row instead
        return _scrub_csv_rows(path, raw, marks)
    keep = _keep(table, marks)
    removed = table.num_rows - pc.sum(keep).as_py() if table.num_rows else 0
    if removed:
        sink = io.BytesIO()
        pa_csv.write_csv(table.filter(keep), sink,
                         pa_csv.WriteOptions(quoting_style="needed"))  # fmt: skip
        _replace(path, sink.getvalue())
    return int(removed)


def _scrub_csv_rows(path: Path, raw: bytes, marks: Marks) -> int:
    """The slow path for a CSV whose rows differ in length: each cell is compared by the
    column its position has in the header; cells past the header's end by none."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    columns = [marks.for_column(name) for name in header]
    kept = [row for row in body
            if not any(_hit(cell, columns[i]) for i, cell in enumerate(row[:len(columns)]))]
    removed = len(body) - len(kept)
    if removed:
        sink = io.StringIO()
        csv.writer(sink, lineterminator="\n").writerows([header, *kept])
        _replace(path, sink.getvalue().encode("utf-8"))
    return removed


def _scrub_jsonl(path: Path, marks: Marks) -> int:
    raw = path.read_bytes()
    if not _mentions(raw, marks):
        return 0
    lines = raw.splitlines(keepends=True)
    kept = [line for line in lines if not (line.strip() and _line_matches(line, marks))]
    removed = len(lines) - len(kept)
    if removed:
        _replace(path, b"".join(kept))
    return removed


def _line_matches(line: bytes, marks: Marks) -> bool:
    try:
        return _matches(orjson.loads(line), marks)
    except orjson.JSONDecodeError:  # a damaged line: theirs if it mentions them at all
        return _mentions(line, marks)


def _scrub_parquet(path: Path, marks: Marks) -> int:
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
