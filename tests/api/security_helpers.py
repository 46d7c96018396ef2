"""Helpers for authorisation tests: users of each role and their tokens, over the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def user_token(
    client: TestClient,
    admin_headers: dict[str, str],
    role: str,
    scopes: list[str] | None = None,
    name: str | None = None,
) -> dict[str, str]:
    """Headers bearing an API token of a (new) user with `role`, limited to `scopes`."""
    name = name or f"{role}-user"
    if client.get(f"/v1/users/{name}", headers=admin_headers).status_code == 404:
        r = client.post("/v1/users", json={"name": name, "role": role}, headers=admin_headers)
        assert r.status_code == 201, r.text
    r = client.post(
        "/v1/tokens", json={"name": "test", "scopes": scopes or ["*"], "user": name},
        headers=admin_headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return bearer(r.json())


def bearer(issued: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issued['token']}"}
