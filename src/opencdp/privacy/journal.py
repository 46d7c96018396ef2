"""The erasure journal: an append-only file outside the database, so a restore can erase again.

A backup taken before an erasure still holds the person. Each erasure therefore appends one
line to `<data_dir>/privacy/erasure-journal.jsonl` with only the request id, the time and
the keyed hashes of the person's identifiers (nothing readable), synced to disk inside the
transaction that deletes them, before it commits: once the rows are gone, the line is there
(a line whose transaction then failed only makes a restore erase someone who asked to be
erased). `opencdp restore` calls
`reapply_journal(workspace, since=<backup time>)`: every erasure recorded after the backup
is run again from its hashes (the people whose identifiers hash to them are found and
erased, and the hashes are suppressed again), so an erased person does not come back.
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from opencdp.config import Settings

if TYPE_CHECKING:
    from opencdp.workspace import Workspace

FILE = ("privacy", "erasure-journal.jsonl")
_LOCK = threading.Lock()  # appends of this process, one at a time


@dataclass(frozen=True)
class JournalEntry:
    request_id: str
    erased_at: datetime
    hashes: tuple[str, ...]


def journal_path(settings: Settings) -> Path:
    return settings.data_dir.joinpath(*FILE)


def append(settings: Settings, entry: JournalEntry) -> bool:
    """Append `entry` unless its request is already recorded; synced before returning.

    A crash while appending leaves a torn last line (no newline). Before writing, the file
    is repaired under an exclusive lock: a tail that is a whole entry gets its newline, any
    other tail is cut off (its erasure had not committed: the request runs again and appends
    it anew), so the next line never lands glued to a fragment."""
    path = journal_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = orjson.dumps({"request_id": entry.request_id,
                         "erased_at": entry.erased_at.isoformat(),
                         "hashes": list(entry.hashes)}) + b"\n"  # fmt: skip
    with _LOCK:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another process appending (a restore's replay)
            data = _read_all(fd)
            data = _repair(fd, data)
            if any(e.request_id == entry.request_id for e in _parse(data)):
                return False
            os.lseek(fd, 0, os.SEEK_END)
            _write_all(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
    return True


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _repair(fd: int, data: bytes) -> bytes:
    """The file's content with a torn last line completed or cut off (see `append`)."""
    if not data or data.endswith(b"\n"):
        return data
    start = data.rfind(b"\n") + 1
    if _entry(data[start:]) is not None:  # whole, only the newline is missing
        os.lseek(fd, 0, os.SEEK_END)
        _write_all(fd, b"\n")
        os.fsync(fd)
        return data + b"\n"
    os.ftruncate(fd, start)
    os.fsync(fd)
    return data[:start]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _entry(line: bytes) -> JournalEntry | None:
    try:
        data: dict[str, Any] = orjson.loads(line)
        return JournalEntry(str(data["request_id"]), datetime.fromisoformat(data["erased_at"]),
                            tuple(data["hashes"]))  # fmt: skip
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _parse(data: bytes) -> list[JournalEntry]:
    return [e for e in map(_entry, data.splitlines()) if e is not None]


def entries(settings: Settings, since: datetime | None = None) -> list[JournalEntry]:
    """Recorded erasures (at or after `since`), oldest first. A torn last line (a crash
    while appending, before the erasure committed) is skipped: the request runs again and
    appends it."""
    path = journal_path(settings)
    if not path.exists():
        return []
    return [e for e in _parse(path.read_bytes()) if since is None or e.erased_at >= since]


def reapply_journal(workspace: Workspace, since: datetime) -> list[dict[str, Any]]:
    """Erase again everyone erased at or after `since` (a restored backup's time); returns
    one receipt per journal entry. Idempotent: running it twice changes nothing more."""
    from opencdp.privacy.service import reapply

    return reapply(workspace, entries(workspace.settings, since))
