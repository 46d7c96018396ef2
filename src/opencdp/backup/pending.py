"""A restore's last step, made crash-safe: erasures are replayed even if the restore dies.

Between moving the restored database in and replaying the erasure journal, a crash would
leave a database holding people erased after the backup. So before the swap the restore
writes `<data_dir>/restore-pending.json` (the time to replay from), and removes it only
once the replay succeeded. Whoever opens the workspace next — the server, a command —
finds the marker and finishes the replay before doing anything else (`Workspace` calls
`finish_restore`). The restore itself opens the workspace with that suspended, and runs
the replay explicitly so it can report it and undo the swap if it fails.

The marker also tells the audit log that its chain was replaced on purpose (recorded as
`backup.restore`, not `audit.gap`), so it must not be forgeable: it carries a MAC under the
audit chain key over its content, which names the backup's time and the head (last entry)
of the restored audit log. A hand-made marker, or one left from another restore, downgrades
nothing.
"""

from __future__ import annotations

import hmac
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opencdp.audit.chain import AuditKeys, entry_hash
from opencdp.config import Settings
from opencdp.privacy.journal import reapply_journal

if TYPE_CHECKING:
    from opencdp.workspace import Workspace

Reapply = Callable[["Workspace", datetime], Sequence[Any]]
MARKER = "restore-pending.json"
_suspended: ContextVar[bool] = ContextVar("restore_in_progress", default=False)


def marker(settings: Settings) -> Path:
    return settings.data_dir / MARKER


@dataclass(frozen=True)
class Marker:
    """An authentic marker: the backup's time and the head of the audit log it restored."""

    taken_at: str
    audit_head: tuple[int, str]


def mark(
    settings: Settings, since: datetime, staging: Path, *, taken_at: str,
    audit_head: tuple[int, str],
) -> None:  # fmt: skip
    """Record, durably, that erasures since `since` must be replayed on this database
    (and that `staging`, holding the replaced database, goes once they are); `taken_at`
    and `audit_head` (last seq and hash of the restored audit log) bind it to the restore."""
    path = marker(settings)
    body: dict[str, Any] = {
        "since": since.isoformat(), "staging": str(staging), "taken_at": taken_at,
        "audit_head": {"seq": audit_head[0], "hash": audit_head[1]},
    }  # fmt: skip
    body["mac"] = _mac(AuditKeys.from_settings(settings), body)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def read_marker(settings: Settings, keys: AuditKeys) -> Marker | str | None:
    """The marker if a restore left one and it is authentic; a message saying what is
    wrong with it otherwise; None when there is none."""
    try:
        body = json.loads(marker(settings).read_text(encoding="utf-8"))
        head = body["audit_head"]
        found = Marker(str(body["taken_at"]), (int(head["seq"]), str(head["hash"])))
        mac = str(body["mac"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return f"the restore marker {MARKER} is unreadable or lacks its MAC"
    if not hmac.compare_digest(mac, _mac(keys, body)):
        return f"the restore marker {MARKER} was not written by a restore (its MAC does not match)"
    return found


def _mac(keys: AuditKeys, body: dict[str, Any]) -> str:
    head = body["audit_head"]
    return entry_hash(keys.chain, ["restore-pending", body["since"], body["staging"],
                                   body["taken_at"], head["seq"], head["hash"]])  # fmt: skip


def clear(settings: Settings) -> None:
    marker(settings).unlink(missing_ok=True)


@contextmanager
def restoring() -> Iterator[None]:
    """Within this, opening a workspace leaves a pending replay to the restore itself."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def finish_restore(ws: Workspace) -> list[Any] | None:
    """On opening a workspace: replay the erasure journal if a restore left that pending
    (it died before its replay finished); None when nothing was pending."""
    path = marker(ws.settings)
    if _suspended.get() or not path.exists():
        return None
    staging = Path(json.loads(path.read_text(encoding="utf-8")).get("staging", ""))
    receipts = replay_pending(ws)
    if staging.name.startswith(".restore-") and staging.parent == ws.settings.data_dir:
        shutil.rmtree(staging, ignore_errors=True)  # holds the replaced database
    return receipts


def replay_pending(ws: Workspace, reapply: Reapply | None = None) -> list[Any]:
    """Replay erasures since the marker's time, then remove the marker; `reapply` defaults
    to the privacy stage's `reapply_journal`. Returns one receipt per erasure replayed."""
    path = marker(ws.settings)
    since = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["since"])
    receipts = _replay(ws, since, reapply)
    path.unlink(missing_ok=True)
    return receipts


def _replay(ws: Workspace, since: datetime, reapply: Reapply | None) -> list[Any]:
    return list((reapply or reapply_journal)(ws, since))
