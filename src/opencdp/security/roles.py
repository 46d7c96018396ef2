"""Roles and the permissions each grants: the one table `docs/security.md` documents.

A permission is `resource:action`. Actions are `read` and `write` (write implies read of the
same resource); a few permissions stand apart from that grid: `pii:read` (unmasked personal
data) and `destinations:configure` (deciding where data goes: a destination's kind, URL,
database, folder, traits and purpose). `destinations:write` only runs what an admin
configured: syncs, replays, pausing, and which segment a destination sends.
"""

from __future__ import annotations

from typing import Final

# Resources of the admin API, one per router (see the route table in docs/security.md).
RESOURCES: Final = (
    "sources", "events", "imports", "quality", "profiles", "segments", "destinations",
    "traits", "consent", "privacy", "audit", "backup", "predictions", "users", "tokens",
)  # fmt: skip
ACTIONS: Final = ("read", "write")
# Permissions outside the resource × action grid; `destinations:write` does not imply
# `destinations:configure` (a marketer sends audiences, an admin decides where they go).
SPECIAL: Final = ("pii:read", "destinations:configure")
ROLES: Final = ("admin", "marketer", "analyst", "privacy_officer", "viewer")


def _grid(read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(
        [f"{r}:read" for r in read] + [f"{r}:write" for r in write] + [f"{r}:read" for r in write]
    )


_ALL_RESOURCES = tuple(RESOURCES)
# Everything a logged-in person may do with their own tokens and password.
_SELF = ("tokens",)

ROLE_PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "admin": _grid(write=_ALL_RESOURCES) | frozenset(SPECIAL),
    # Builds audiences and sends them out; sees profiles masked (data minimisation): a sync
    # still delivers full values, but only to the destinations an admin configured
    # (`destinations:configure` is the admin's alone).
    "marketer": _grid(
        read=("sources", "events", "quality", "profiles", "consent", "predictions"),
        write=("segments", "destinations", "traits", *_SELF),
    ),
    # Works on pseudonymous data: everything readable except PII, audit and privacy.
    "analyst": _grid(
        read=(
            "sources",
            "events",
            "imports",
            "quality",
            "profiles",
            "segments",
            "destinations",
            "traits",
            "consent",
            "predictions",
        ),
        write=("traits", *_SELF),
    ),
    # Answers data-subject requests and reviews who accessed what: needs PII and the audit log.
    "privacy_officer": _grid(
        read=("sources", "events", "imports", "quality", "profiles", "segments", "audit"),
        write=("privacy", "consent", *_SELF),
    )
    | {"pii:read"},
    # Looks, changes nothing, sees PII masked.
    "viewer": _grid(
        read=(
            "sources",
            "events",
            "quality",
            "profiles",
            "segments",
            "destinations",
            "traits",
            "predictions",
        ),
        write=_SELF,
    ),
}


def all_permissions() -> frozenset[str]:
    """Every permission that exists (what `*` expands to)."""
    return ROLE_PERMISSIONS["admin"]


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def check_role(role: str) -> str:
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


def scope_allows(scopes: frozenset[str], permission: str) -> bool:
    """Whether granted scopes cover a permission: exact, `resource:*`, `*`, or write ⊇ read."""
    if "*" in scopes or permission in scopes:
        return True
    resource, _, action = permission.partition(":")
    if f"{resource}:*" in scopes:
        return True
    return action == "read" and f"{resource}:write" in scopes


def check_scopes(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Validate requested token scopes; unknown ones are an error rather than silently inert."""
    known = all_permissions()
    resources = set(RESOURCES) | {p.partition(":")[0] for p in SPECIAL}
    for scope in scopes:
        if scope == "*" or scope in known:
            continue
        resource, _, action = scope.partition(":")
        if action == "*" and resource in resources:
            continue
        raise ValueError(
            f"unknown scope {scope!r}; scopes are `resource:read`, `resource:write`, "
            "`resource:*`, `pii:read`, `destinations:configure` or `*`"
        )
    return frozenset(scopes)
