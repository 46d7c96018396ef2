"""The erasure journal: an append-only file outside the database, so a restore can erase again.

A backup taken before an erasure still holds the person. Each erasure therefore appends one
line to `<data_dir>/privacy/erasure-journal.jsonl` with only the request id, the time and
the keyed hashes of the person's identifiers (nothing readable). `opencdp restore` calls
`reapply_journal(workspace, since=<backup time>)`: every erasure recorded after the backup
is run again from its hashes (the people whose identifiers hash to them are found and
erased, and the hashes are suppressed again), so an erased person does not come back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from opencdp.config import Settings

if TYPE_CHECKING:
    from opencdp.workspace import Workspace

FILE = ("privacy", "erasure-journal.jsonl")


@dataclass(frozen=True)
class JournalEntry:
    request_id: str
    erased_at: datetime
    hashes: tuple[str, ...]


def journal_path(settings: Settings) -> Path:
    return settings.data_dir.joinpath(*FILE)


def append(settings: Settings, entry: JournalEntry) -> bool:
    """Append `entry` unless its request is already recorded; synced before returning."""
    path = journal_path(settings)
    if any(e.request_id == entry.request_id for e in entries(settings)):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    line = orjson.dumps({"request_id": entry.request_id,
                         "erased_at": entry.erased_at.isoformat(),
                         "hashes": list(entry.hashes)}) + b"\n"  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def entries(settings: Settings, since: datetime | None = None) -> list[JournalEntry]:
    """Recorded erasures (at or after `since`), oldest first. A torn last line (a crash
    while appending) is skipped: its erasure re-appends it when the request resumes."""
    path = journal_path(settings)
    if not path.exists():
        return []
    found = []
    for line in path.read_bytes().splitlines():
        try:
            data: dict[str, Any] = orjson.loads(line)
            entry = JournalEntry(str(data["request_id"]),
                                 datetime.fromisoformat(data["erased_at"]),
                                 tuple(data["hashes"]))  # fmt: skip
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if since is None or entry.erased_at >= since:
            found.append(entry)
    return found


def reapply_journal(workspace: Workspace, since: datetime) -> list[dict[str, Any]]:
    """Erase again everyone erased at or after `since` (a restored backup's time); returns
    one receipt per journal entry. Idempotent: running it twice changes nothing more."""
    from opencdp.privacy.service import reapply

    return reapply(workspace, entries(workspace.settings, since))
