"""Auditing commands that open the data directory themselves (no server running).

`audited(admin, log, actor)` wraps the `Admin` a command uses: each call of a method that
`method_action` names records an entry with the local user as actor (`cli:<os user>`), its
target from the call's arguments, the profiles the operation noted, and whether it failed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from opencdp.audit.actions import describe, method_action
from opencdp.audit.context import noting
from opencdp.audit.log import AuditLog
from opencdp.audit.model import Actor, Entry, clean


class AuditedAdmin:
    """`Admin` with every audited call recorded (the same methods, looked up on it)."""

    def __init__(self, admin: Any, log: AuditLog, actor: Actor, reason: str | None) -> None:
        self._admin = admin
        self._log = log
        self._actor = actor
        self._reason = clean(reason)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._admin, name)
        action = method_action(name)
        if action is None or not callable(attr):
            return attr
        return self._audited(name, action, attr)

    def _audited(self, name: str, action: str, method: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind_partial(*args, **kwargs)
            described = describe(name.split("_"), bound.arguments, self._log.keys.identifier_hash)
            entry = Entry(action, self._actor, "cli", target_kind=described.target_kind,
                          target=described.target, route=f"cli {name}", reason=self._reason,
                          details=described.details)  # fmt: skip
            if action == "config.change":
                entry.details["operation"] = name
            try:
                with noting() as note:
                    result = method(*args, **kwargs)
            except Exception as exc:
                entry.outcome = "error"
                entry.details["error"] = type(exc).__name__
                raise
            finally:
                entry.profile_ids = [*described.profile_ids, *note.profile_ids]
                if not entry.profile_ids and entry.outcome == "ok":
                    entry.resolve = described.identifier
                if note.target is not None:
                    entry.target_kind, entry.target = note.target
                entry.details.update(note.details)
                self._log.record(entry)
            return result

        return call
