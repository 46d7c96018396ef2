"""Structured logging: one JSON object per line, never personal data or keys.

Call sites log *what happened* with counts and identifiers of our own objects (source ids,
quarantine ids); the formatter keeps only whitelisted `extra` fields, so an accidental
`extra={"email": ...}` cannot leak into the log.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

SAFE_FIELDS = frozenset(
    {"error", "source_id", "events", "quarantined", "duplicates", "commits", "pending", "url",
     "data_dir", "version", "quarantine_id", "status", "seconds"}
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in SAFE_FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
