"""Authorisation on every admin route, generated from the app's own route table.

A route added without a permission fails `test_every_admin_route_states_its_permission`;
the matrix then calls every route as every role (and as a narrowly scoped token) and checks
the answer is 403 exactly when the role table says the caller lacks a needed permission.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from opencdp.api.auth import Access
from opencdp.security.roles import ROLES, all_permissions, role_allows
from tests.api.security_helpers import user_token

PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("POST", "/v1/auth/login")}
# Routes that act only on the caller's own credential: any authenticated caller.
SELF_SERVICE = {("POST", "/v1/auth/logout"), ("GET", "/v1/auth/me"),
                ("PUT", "/v1/auth/password")}  # fmt: skip
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
_SAMPLE = {"decision": "accept", "quarantine_id": "999999", "format": "jsonl"}


def admin_routes(app: FastAPI) -> Iterator[tuple[str, str, Access | None]]:
    """(method, path, its Access dependency or None) for every non-public API route."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        found = [d.call for d in context.dependant.dependencies if isinstance(d.call, Access)]
        for method in sorted(context.methods or ()):
            if (method, route.path) not in PUBLIC:
                yield method, route.path, found[0] if found else None


def concrete(path: str) -> str:
    return _PARAM.sub(lambda m: _SAMPLE.get(m.group(1), "nothing-here"), path)


def needed(access: Access | None, method: str, path: str) -> tuple[str, ...]:
    return access.permissions_for(method, path) if access else ()


def call(client, method: str, path: str, headers: dict[str, str]):
    if (method, path) == ("POST", "/v1/auth/logout"):  # would revoke the token under test
        return client.get("/v1/auth/me", headers=headers)
    body = None if method in ("GET", "DELETE") else {}
    return client.request(method, concrete(path), json=body, headers=headers)


def test_every_admin_route_states_its_permission(client):
    routes = list(admin_routes(client.app))
    assert len(routes) > 60
    known = all_permissions()
    for method, path, access in routes:
        if (method, path) in SELF_SERVICE:
            continue
        assert access is not None, (
            f"{method} {path} has no permission: include its router with "
            "dependencies=access('<resource>') (opencdp.api.auth)"
        )
        permissions = access.permissions_for(method, path)
        assert permissions, f"{method} {path} admits any authenticated caller"
        assert set(permissions) <= known, (method, path, permissions)


def test_every_admin_route_refuses_the_anonymous_and_write_keys(client, source):
    key = source["write_key"]
    for method, path, _ in admin_routes(client.app):
        for headers in ({}, {"Authorization": f"Bearer {key}"}):
            r = call(client, method, path, headers)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
        r = client.request(method, concrete(path), auth=(key, ""))
        assert r.status_code == 401, (method, path, "basic", r.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_exactly_where_the_table_says(client, admin_headers, role):
    headers = user_token(client, admin_headers, role)
    wrong = []
    for method, path, access in admin_routes(client.app):
        permissions = needed(access, method, path)
        allowed = all(role_allows(role, p) for p in permissions)
        r = call(client, method, path, headers)
        if allowed and r.status_code in (401, 403):
            wrong.append(f"{method} {path}: {r.status_code} but {role} holds {permissions}")
        if r.status_code >= 500:
            wrong.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        if not allowed and r.status_code != 403:
            wrong.append(f"{method} {path}: {r.status_code} but {role} lacks {permissions}")
    assert not wrong, "\n".join(wrong)


def test_a_narrow_token_is_refused_everything_beyond_its_scope(client, admin_headers):
    headers = user_token(client, admin_headers, "admin", ["segments:read"], name="narrow")
    for method, path, access in admin_routes(client.app):
        permissions = needed(access, method, path)
        r = call(client, method, path, headers)
        if permissions and set(permissions) != {"segments:read"}:
            assert r.status_code == 403, (method, path, r.status_code)
        else:
            assert r.status_code not in (401, 403), (method, path, r.status_code, r.text)
