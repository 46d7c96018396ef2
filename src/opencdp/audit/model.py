"""What one audit entry says: who, what, which target, when, from where, why, and the outcome.

Plain data shared by the API middleware, the offline CLI and the scheduler, so every door
records the same fields the same way.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEXT_LIMIT = 500  # longest user agent or target kept (a log line, not a payload)
REASON_LIMIT = 200  # longest reason kept: a ticket number and a few words, not a case file


@dataclass(frozen=True)
class Actor:
    """Who acted: a principal of the API, a local command-line user or the system itself."""

    kind: str  # user, token, admin, cli, system, anonymous (as the principal names it)
    name: str
    role: str | None = None
    token_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


ADMIN_TOKEN = Actor("admin_token", "admin", "admin")  # as the security stage names it
SCHEDULER = Actor("system", "scheduler", "system")
AUDITOR = Actor("system", "audit", "system")
ANONYMOUS = Actor("anonymous", "anonymous")
UNVERIFIED = "unverified"  # the actor kind of a failed login, named by what was typed
UNKNOWN_USER = "unknown user "  # the stored name of such an actor, before its keyed hash


def cli_actor() -> Actor:
    """The person running an offline command: whoever owns the data files acts as admin."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without passwd entry)
        user = "unknown"
    return Actor("cli", user, "admin")


def actor_of(principal: Any) -> Actor:
    """An `Actor` from the security stage's `Principal` (read by attribute, not imported)."""

    def text(name: str) -> str | None:
        value = getattr(principal, name, None)
        return None if value is None else clean(str(value))

    return Actor(text("kind") or "unknown", text("name") or "unknown", text("role"),
                 text("token_id"))  # fmt: skip


@dataclass
class Entry:
    """One access, before the log gives it a place in the chain."""

    action: str
    actor: Actor
    channel: str  # api, cli, system
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    target_kind: str | None = None
    target: str | None = None
    profile_ids: list[str] = field(default_factory=list)
    route: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    reason: str | None = None
    status: int | None = None
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)
    # An identifier whose profile the log looks up before storing the entry, when the
    # operation named none itself (not stored: the entry keeps the profile and a hash).
    resolve: str | None = None


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not_found"
    return "error" if status >= 500 else "refused"


def clean(text: str | None, limit: int = TEXT_LIMIT) -> str | None:
    """Text safe to store and hash: bounded, valid UTF-8 (lone surrogates replaced)."""
    if text is None:
        return None
    return text[:limit].encode("utf-8", "replace").decode("utf-8")
