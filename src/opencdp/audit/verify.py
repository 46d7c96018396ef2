"""Checking the chain: every entry in place, unmodified, and none missing at the end.

Walking the entries in `seq` order, an entry is broken when its number does not continue
the previous one (an entry deleted, or one inserted with a number already taken), when it
does not name the previous entry's hash (removed, inserted or reordered entries), or when
its own hash does not match its fields (modified, or forged without the key). The head file
written after each commit catches the one change the chain cannot show alone: the newest
entries deleted. A log with entries and no head file is broken too: the log writes the file
when it first opens, so only a deletion removes it.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from opencdp.audit.chain import GENESIS, HASHED, AuditKeys, entry_hash
from opencdp.audit.log import read_head_file
from opencdp.audit.model import AUDITOR

_BATCH = 10_000


@dataclass
class Verification:
    entries: int = 0
    head: tuple[int, str] | None = None
    broken: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None

    def to_json(self) -> dict[str, Any]:
        head = {"seq": self.head[0], "hash": self.head[1]} if self.head else None
        return {"ok": self.ok, "entries": self.entries, "head": head,
                "first_broken": self.broken, "warnings": self.warnings}  # fmt: skip


def verify_chain(con: duckdb.DuckDBPyConnection, keys: AuditKeys, head_path: Path) -> Verification:
    """Check every entry and the head file; stop at the first broken entry."""
    result = Verification()
    cursor = con.execute(
        f"SELECT {', '.join(HASHED)}, entry_hash FROM audit_log ORDER BY seq, entry_hash"
    )
    head = read_head_file(head_path, keys)
    head_seq = head[0] if isinstance(head, tuple) else None
    at_head: str | None = None
    expected, prev = 1, GENESIS
    while result.broken is None and (rows := cursor.fetchmany(_BATCH)):
        for row in rows:
            seq, stored = int(row[0]), str(row[-1])
            problem = _check(row, expected, prev, keys)
            if problem is not None:
                result.broken = {"seq": seq, "problem": problem, "action": row[7],
                                 "actor": f"{row[3]}:{row[4]}"}  # fmt: skip
                break
            _note_findings(result, row)
            if result.broken is not None:
                break
            result.entries += 1
            if seq == head_seq:
                at_head = stored
            expected, prev = seq + 1, stored
            result.head = (seq, stored)
    if result.broken is None:
        _check_head(result, head, at_head)
    return result


def _check(row: tuple[Any, ...], expected: int, prev: str, keys: AuditKeys) -> str | None:
    seq = int(row[0])
    if seq > expected:
        gap = str(expected) if seq == expected + 1 else f"{expected} to {seq - 1}"
        return f"entries {gap} are missing (deleted) before entry {seq}"
    if seq < expected:
        return f"entry {seq} is out of sequence (an entry was inserted or renumbered)"
    if row[-2] != prev:
        return (f"entry {seq} does not follow entry {seq - 1} (an entry was removed, inserted "
                "or moved)")  # fmt: skip
    if not hmac.compare_digest(entry_hash(keys.chain, row[:-1]), str(row[-1])):
        return f"entry {seq} was modified (its hash does not match its fields)"
    return None


_ACTION, _DETAILS = HASHED.index("action"), HASHED.index("details")
_KIND, _NAME = HASHED.index("actor_kind"), HASHED.index("actor_name")


def _note_findings(result: Verification, row: tuple[Any, ...]) -> None:
    """Entries the log wrote about itself on opening: a gap is a break, a restore a warning."""
    if row[_ACTION] not in ("audit.gap", "backup.restore") or (
        f"{row[_KIND]}:{row[_NAME]}" != AUDITOR.label
    ):
        return
    details = json.loads(row[_DETAILS])
    if row[_ACTION] == "audit.gap":
        result.broken = {"seq": int(row[0]), "problem": f"{details['problem']} (found when the "
                         "log was next opened: the newest entries were deleted or the head file "
                         "altered)", "action": row[_ACTION], "actor": "system:audit"}  # fmt: skip
    else:
        previous = details.get("previous_head")
        replaced = (f"the replaced log reached entry {previous['seq']}" if previous
                    else "no log was there before")  # fmt: skip
        result.warnings.append(
            f"entry {row[0]}: the database was restored from a backup; {replaced}"
        )


def _check_head(
    result: Verification, head: tuple[int, str] | str | None, at_head: str | None
) -> None:
    last = result.head[0] if result.head else 0
    if head is None:
        if last:  # the log writes one on opening, so only a deletion removes it
            result.broken = {"seq": None, "problem": "the head file is missing: the newest "
                             "entries may have been deleted with it"}  # fmt: skip
        return
    if isinstance(head, str):
        result.broken = {"seq": None, "problem": head}
        return
    seq, digest = head
    if seq > last:
        gap = str(last + 1) if seq == last + 1 else f"{last + 1} to {seq}"
        result.broken = {"seq": last + 1, "problem": f"entries {gap} are missing: the log was "
                         "truncated (or the database restored from an older backup)"}  # fmt: skip
    elif seq and at_head != digest:
        result.broken = {"seq": seq, "problem": f"entry {seq} is not the one written there "
                         "(the log was rewritten)"}  # fmt: skip
