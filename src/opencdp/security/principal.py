"""The authenticated caller of one request: who it is and what it may do."""

from __future__ import annotations

from dataclasses import dataclass

from opencdp.security.roles import role_allows, scope_allows


@dataclass(frozen=True)
class Principal:
    """A caller's identity and rights; effective rights are role ∩ scopes.

    `kind` is "user" (a password login session), "token" (an API token), "admin_token"
    (the bootstrap token of the data directory) or "cli" (the offline command line).
    `name` is the user name (or "admin"/"cli"); `token_id` the id of the token used, if any.
    """

    kind: str
    name: str
    role: str
    scopes: frozenset[str]
    token_id: str | None = None

    def can(self, permission: str) -> bool:
        return role_allows(self.role, permission) and scope_allows(self.scopes, permission)

    def sees_pii(self) -> bool:
        return self.can("pii:read")


def bootstrap_admin(kind: str = "admin_token") -> Principal:
    """The all-powerful principal of the admin token and of the offline CLI."""
    name = "cli" if kind == "cli" else "admin"
    return Principal(kind=kind, name=name, role="admin", scopes=frozenset({"*"}))
