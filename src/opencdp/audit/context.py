"""What the code serving a request adds to its audit entry: the profiles it touched.

The door (API middleware, offline CLI) opens a note before calling the operation and
records the entry after it; an operation deep inside calls `note_profiles` with the
profile ids it resolved, so the entry names profiles rather than the identifier typed (which
may be an e-mail address and is kept only as a keyed hash). Outside an audited call the
functions do nothing. The note is a mutable object in a context variable, so it is shared
with the worker thread FastAPI runs a synchronous endpoint in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

PROFILE_LIMIT = 1000  # profiles named in one entry; the count is kept beyond it


@dataclass
class Note:
    profile_ids: list[str] = field(default_factory=list)
    profiles_seen: int = 0
    target: tuple[str, str] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    principal: Any = None


_current: ContextVar[Note | None] = ContextVar("opencdp_audit_note", default=None)


@contextmanager
def noting() -> Iterator[Note]:
    """Collect notes made by the code run inside this block."""
    note = Note()
    token = _current.set(note)
    try:
        yield note
    finally:
        _current.reset(token)


def note_profiles(profile_ids: Iterable[str]) -> None:
    """The profiles whose data the current operation read or changed."""
    note = _current.get()
    if note is None:
        return
    for profile_id in profile_ids:
        note.profiles_seen += 1
        if len(note.profile_ids) < PROFILE_LIMIT and profile_id not in note.profile_ids:
            note.profile_ids.append(profile_id)


def note_target(kind: str, name: str) -> None:
    """The object the current operation acted on (e.g. a privacy request's id)."""
    note = _current.get()
    if note is not None:
        note.target = (kind, name)


def note_details(**details: Any) -> None:
    """Non-personal facts worth keeping with the entry (counts, modes, ids of our objects)."""
    note = _current.get()
    if note is not None:
        note.details.update(details)


def note_principal(principal: Any) -> None:
    """Who acted, when the door cannot know it yet (a login names its user only once
    checked); `request.state.principal` does the same for the API."""
    note = _current.get()
    if note is not None:
        note.principal = principal
