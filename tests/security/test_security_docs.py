"""docs/security.md states the role table and every route's permission as the code has them."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from opencdp.api.app import create_app
from opencdp.api.auth import Access
from opencdp.config import Settings
from opencdp.security.roles import RESOURCES, ROLE_PERMISSIONS, ROLES, SPECIAL

DOC = Path(__file__).parents[2] / "docs" / "security.md"
PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("POST", "/v1/auth/login")}


def _cell(role: str, resource: str) -> str:
    held = ROLE_PERMISSIONS[role]
    return "write" if f"{resource}:write" in held else "read" if f"{resource}:read" in held else "–"


def test_the_role_table_is_the_one_in_the_code():
    text = DOC.read_text(encoding="utf-8")
    assert "| resource | " + " | ".join(ROLES) + " |" in text
    for resource in RESOURCES:
        row = f"| `{resource}` | " + " | ".join(_cell(r, resource) for r in ROLES) + " |"
        assert row in text, row
    for special in SPECIAL:
        marks = " | ".join("yes" if special in ROLE_PERMISSIONS[r] else "–" for r in ROLES)
        assert f"| `{special}` | {marks} |" in text


def test_every_route_is_documented_with_its_permission(settings: Settings):
    text = DOC.read_text(encoding="utf-8")
    app = create_app(settings)
    try:
        missing = []
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute):
                continue
            found = [d.call for d in context.dependant.dependencies if isinstance(d.call, Access)]
            for method in sorted(context.methods or ()):
                if found:
                    permissions = found[0].permissions_for(method, route.path)
                    needs = ", ".join(f"`{p}`" for p in permissions)
                elif (method, route.path) in PUBLIC:
                    needs = "public"
                else:
                    needs = "any authenticated caller"
                row = f"| {method} | `{route.path}` | {needs} |"
                if row not in text:
                    missing.append(row)
        assert not missing, "docs/security.md lacks or misstates:\n" + "\n".join(missing)
    finally:
        app.state.workspace.close()
