"""Streaming file sinks: rows go straight to disk through large buffers.

Nothing is kept in memory, and a sink can stop at an exact row count, which is how
`--contacts N` and `--orders N` hit N.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

BUFFER = 1 << 20


class CsvSink:
    """A CSV file with a header, counting rows, refusing rows beyond `limit`."""

    def __init__(self, path: Path, header: Sequence[str], limit: int | None = None) -> None:
        self.path = path
        self.file = path.open("w", encoding="utf-8", newline="", buffering=BUFFER)
        self.writer = csv.writer(self.file, lineterminator="\n")
        self.writer.writerow(header)
        self.limit = limit
        self.rows = 0

    @property
    def full(self) -> bool:
        return self.limit is not None and self.rows >= self.limit

    def write(self, row: Sequence[str]) -> bool:
        if self.limit is not None and self.rows >= self.limit:
            return False
        self.rows += 1
        # Fast path, same bytes as the csv module: nothing to quote when the joined line has
        # exactly one comma per gap and no quote or line break.
        line = ",".join(row)
        if (
            line.count(",") == len(row) - 1
            and '"' not in line
            and "\n" not in line
            and "\r" not in line
        ):
            self.file.write(line + "\n")
        else:
            self.writer.writerow(row)
        return True

    def close(self) -> None:
        self.file.close()


class JsonlSink:
    """A JSON Lines file; objects keep their key order, so output is byte-stable."""

    def __init__(self, path: Path, limit: int | None = None) -> None:
        self.path = path
        self.file = path.open("wb", buffering=BUFFER)
        self.limit = limit
        self.rows = 0

    @property
    def full(self) -> bool:
        return self.limit is not None and self.rows >= self.limit

    def write(self, obj: dict[str, Any]) -> bool:
        return self.write_line(orjson.dumps(obj) + b"\n")

    def write_line(self, line: bytes) -> bool:
        if self.limit is not None and self.rows >= self.limit:
            return False
        self.file.write(line)
        self.rows += 1
        return True

    def close(self) -> None:
        self.file.close()
