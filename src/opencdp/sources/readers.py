"""Read customer-data files as streams of string-typed Arrow batches, in bounded memory.

Every reader yields `pyarrow.RecordBatch`es whose columns are all strings (mapping and
hygiene decide types later, so "007" stays "007"), plus the rows it could not read with
the reason, so the importer can quarantine them instead of losing them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from opencdp.sources.encodings import detect_encoding

FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx")
BATCH_ROWS = 50_000


class UnreadableFile(ValueError):
    """The file cannot be read at all (format, encoding); the message says why."""


@dataclass
class BadRow:
    """A row the reader could not turn into columns."""

    row_number: int
    reason: str
    text: str


@dataclass
class FileStream:
    """What was found out about a file, and its batches."""

    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[str]
    batches: Iterator[pa.RecordBatch]
    bad_rows: list[BadRow] = field(default_factory=list)


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        name = suffix.lstrip(".")
        if name in ("csv", "txt"):
            return "csv"
        if name == "tsv":
            return "tsv"
        if name in ("jsonl", "ndjson", "json"):
            return "jsonl"
        if name in ("parquet", "pq"):
            return "parquet"
        if name in ("xlsx", "xlsm"):
            return "xlsx"
    raise UnreadableFile(f"cannot tell the format of {path.name}; give --format")


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a delimited text sample (comma, semicolon, tab or pipe)."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        header = lines[0]
        return max(",;\t|", key=header.count)


def open_file(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> FileStream:
    """Open `path` for streaming; format, encoding and delimiter are detected when not given."""
    if not path.is_file():
        raise UnreadableFile(f"no such file: {path}")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise UnreadableFile(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt in ("csv", "tsv"):
        return _open_delimited(path, fmt, encoding, delimiter, batch_rows)
    if fmt == "jsonl":
        return _open_jsonl(path, encoding, batch_rows)
    if fmt == "parquet":
        return _open_parquet(path, batch_rows)
    return _open_xlsx(path, batch_rows)


def _open_delimited(
    path: Path, fmt: str, encoding: str | None, delimiter: str | None, batch_rows: int
) -> FileStream:
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(64 * 1024)
    if delimiter is None:
        delimiter = "\t" if fmt == "tsv" else sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    columns = [name.strip() for name in header]
    if not columns or not any(columns):
        raise UnreadableFile(f"{path.name} has no header row")
    bad_rows: list[BadRow] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append(
            BadRow(
                row.number or -1,
                f"row has {row.actual_columns} fields, the header has {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            encoding=encoding, block_size=4 << 20, column_names=_unique(columns), skip_rows=1
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in _unique(columns)},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
        ),
    )
    return FileStream(
        fmt, encoding, delimiter, _unique(columns), _rebatch(reader, batch_rows), bad_rows
    )


def _unique(columns: list[str]) -> list[str]:
    """Header names made unique and non-empty (blank → column_3, repeats → name_2)."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(columns, start=1):
        base = name or f"column_{index}"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return out


def _rebatch(reader: Any, batch_rows: int) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        for start in range(0, batch.num_rows, batch_rows):
            yield batch.slice(start, batch_rows)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _string_batches(
    rows: Iterator[dict[str, Any]], columns: Callable[[], list[str]], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    buffer: list[dict[str, Any]] = []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= batch_rows:
            yield _to_batch(buffer, columns())
            buffer = []
    if buffer:
        yield _to_batch(buffer, columns())


def _to_batch(rows: list[dict[str, Any]], columns: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {name: pa.array([_as_text(r.get(name)) for r in rows], pa.string()) for name in columns}
    )


def _open_jsonl(path: Path, encoding: str | None, batch_rows: int) -> FileStream:
    encoding = encoding or detect_encoding(path)
    columns: list[str] = []
    known: set[str] = set()
    bad_rows: list[BadRow] = []
    with open(path, encoding=encoding, errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    break
                if isinstance(first, dict):
                    columns.extend(first)
                    known.update(first)
                break

    def rows() -> Iterator[dict[str, Any]]:
        with open(path, encoding=encoding, errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    bad_rows.append(BadRow(number, f"not valid JSON: {exc.msg}", line[:10_000]))
                    continue
                if not isinstance(value, dict):
                    bad_rows.append(BadRow(number, "line is not a JSON object", line[:10_000]))
                    continue
                for key in value:
                    if key not in known:
                        known.add(key)
                        columns.append(key)
                yield value

    batches = _string_batches(rows(), lambda: list(columns), batch_rows)
    return FileStream("jsonl", encoding, None, columns, batches, bad_rows)


def _open_parquet(path: Path, batch_rows: int) -> FileStream:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableFile(f"{path.name} is not a readable Parquet file: {exc}") from None
    columns = parquet.schema_arrow.names

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in parquet.iter_batches(batch_size=batch_rows):
            arrays = []
            for column in batch.columns:
                if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    arrays.append(column.cast(pa.string()))
                elif pa.types.is_nested(column.type):
                    arrays.append(pa.array([_as_text(v) for v in column.to_pylist()], pa.string()))
                else:
                    arrays.append(column.cast(pa.string()))
            yield pa.RecordBatch.from_arrays(arrays, names=columns)

    return FileStream("parquet", None, None, columns, batches())


def _open_xlsx(path: Path, batch_rows: int) -> FileStream:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile(f"{path.name} is not a readable Excel workbook: {exc}") from None
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if not header:
        raise UnreadableFile(f"{path.name}: the first sheet has no header row")
    columns = _unique([_as_text(v) or "" for v in header])

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for values in rows_iter:
                if values is None or all(v is None for v in values):
                    continue
                yield {name: _excel_text(v) for name, v in zip(columns, values, strict=False)}
        finally:
            book.close()

    return FileStream(
        "xlsx", None, None, columns, _string_batches(rows(), lambda: columns, batch_rows)
    )


def _excel_text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
