"""The permission table: roles, scopes, and a principal's rights as role ∩ scopes."""

from __future__ import annotations

import pytest

from opencdp.security.principal import Principal, bootstrap_admin
from opencdp.security.roles import (
    RESOURCES,
    ROLE_PERMISSIONS,
    ROLES,
    all_permissions,
    check_scopes,
    scope_allows,
)


def principal(role: str, *scopes: str) -> Principal:
    return Principal("token", "someone", role, frozenset(scopes or ("*",)), "t1")


def test_every_role_is_in_the_table_and_admin_holds_everything():
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert ROLE_PERMISSIONS["admin"] == all_permissions()
    for resource in RESOURCES:
        assert {f"{resource}:read", f"{resource}:write"} <= all_permissions()
    for permissions in ROLE_PERMISSIONS.values():
        assert permissions <= all_permissions()


def test_the_documented_boundaries():
    assert not principal("marketer").can("audit:read")
    assert principal("privacy_officer").can("audit:read")
    assert not principal("viewer").can("destinations:write")  # a viewer cannot trigger syncs
    assert not principal("viewer").sees_pii()
    assert not principal("analyst").sees_pii() and not principal("marketer").sees_pii()
    assert principal("privacy_officer").sees_pii() and principal("admin").sees_pii()
    for role in ROLES:  # everyone manages their own tokens; only admins manage people
        assert principal(role).can("tokens:write")
        assert principal(role).can("users:write") == (role == "admin")


def test_write_implies_read_in_roles():
    for permissions in ROLE_PERMISSIONS.values():
        for p in permissions:
            resource, _, action = p.partition(":")
            if action == "write":
                assert f"{resource}:read" in permissions


@pytest.mark.parametrize(
    ("scopes", "permission", "allowed"),
    [
        ({"segments:read"}, "segments:read", True),
        ({"segments:read"}, "profiles:read", False),
        ({"segments:read"}, "segments:write", False),
        ({"segments:write"}, "segments:read", True),
        ({"segments:*"}, "segments:write", True),
        ({"*"}, "audit:read", True),
        ({"pii:read"}, "pii:read", True),
    ],
)
def test_scope_matching(scopes, permission, allowed):
    assert scope_allows(frozenset(scopes), permission) is allowed


def test_rights_are_role_intersected_with_scopes():
    token = principal("marketer", "segments:write", "audit:read")
    assert token.can("segments:write") and token.can("segments:read")
    assert not token.can("audit:read")  # the scope names it, the role does not have it
    assert not token.can("profiles:read")  # the role has it, the scope does not
    assert bootstrap_admin().can("audit:read") and bootstrap_admin("cli").name == "cli"


def test_unknown_scopes_are_refused():
    assert check_scopes(["profiles:read", "segments:*", "*", "pii:read"])
    for bad in ["profiles", "profiles:delete", "nothing:read", "pii:write", ""]:
        with pytest.raises(ValueError, match="unknown scope"):
            check_scopes([bad])
