"""Answering with an exported file: written to a temporary file, sent, then removed.

Exports can be larger than memory, so the admin operation writes them to disk and the
response streams the file; a failed export leaves no file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}


def file_response(name: str, fmt: str, write: Callable[[Path], int]) -> FileResponse:
    """`write(path)` fills the file and returns its row count (sent as `X-Row-Count`)."""
    handle, temp = tempfile.mkstemp(prefix="opencdp-export-", suffix=f".{fmt}")
    os.close(handle)
    path = Path(temp)
    try:
        rows = write(path)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path, media_type=MEDIA_TYPES[fmt], filename=f"{name}.{fmt}",
        headers={"X-Row-Count": str(rows)},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )  # fmt: skip
