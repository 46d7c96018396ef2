"""Writing sync output files: whole or not at all, and safe to open in a spreadsheet.

Each file is written under a temporary name in the target folder and renamed into place
(atomic on one filesystem), so a reader never sees half a file. CSV cells that a spreadsheet
would run as a formula (starting with = + - @, tab or carriage return) get a leading quote
(OWASP "CSV injection"), so an attacker-supplied trait cannot execute on an analyst's machine.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """The cell text, with a leading quote if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def file_name(destination: str, now: datetime, suffix: str, ext: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in destination)
    return f"{safe}-{now.strftime('%Y%m%dT%H%M%S%fZ')}-{suffix}.{ext}"


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    def fill(handle: TextIO) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([csv_safe(h) for h in headers])
        writer.writerows([csv_safe(v) for v in row] for row in rows)

    return _atomic_text(path, fill)


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    def fill(handle: TextIO) -> None:
        for record in records:
            handle.write(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")

    return _atomic_text(path, fill)


def write_parquet(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """All columns as strings (traits are free-form; a JSON value is kept as JSON text)."""
    columns = {
        name: pa.array([_text(row[i]) for row in rows], pa.string())
        for i, name in enumerate(headers)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name("." + path.name + ".tmp")
    try:
        pq.write_table(pa.table(columns), temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _atomic_text(path: Path, fill: Callable[[TextIO], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name("." + path.name + ".tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
