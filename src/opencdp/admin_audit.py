"""Audit operations, returning plain JSON-ready data (part of `Admin`).

Each first waits for the entries recorded so far to be committed, so a report includes the
accesses that happened just before it (the caller's own included).
"""

from __future__ import annotations

from typing import Any

from opencdp.audit import query
from opencdp.audit.verify import verify_chain
from opencdp.workspace import Workspace


class AuditAdmin:
    ws: Workspace

    def audit_verify(self) -> dict[str, Any]:
        """Check the whole chain and the head file; `ok` false names the first broken entry."""
        log = self.ws.audit
        log.flush()
        return self.ws.read(lambda con: verify_chain(con, log.keys, log.head_path)).to_json()

    def audit_log(
        self,
        user: str | None = None,
        profile: str | None = None,
        since: str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        filters = query.Filters(user, profile, query.parse_since(since), action, limit)
        self.ws.audit.flush()
        return self.ws.read(lambda con: query.entries(con, self.ws.audit.keys, filters))

    def audit_report(
        self,
        profile: str | None = None,
        user: str | None = None,
        since: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Who accessed this customer's data (`profile`), or what this user accessed."""
        if (profile is None) == (user is None):
            raise ValueError("give either a profile or a user")
        after = query.parse_since(since)
        keys = self.ws.audit.keys
        self.ws.audit.flush()
        if profile is not None:
            return self.ws.read(lambda con: query.profile_report(con, keys, profile, after, limit))
        assert user is not None
        return self.ws.read(lambda con: query.user_report(con, keys, user, after, limit))

    def audit_alerts(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        after = query.parse_since(since)
        self.ws.audit.flush()
        return self.ws.read(lambda con: query.alerts(con, after, limit))
