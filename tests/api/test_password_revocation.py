"""Changing or resetting a password revokes the user's sessions and API tokens (L1)."""

from __future__ import annotations

from tests.api.security_helpers import bearer

PASSWORD = "correct horse battery staple"
NEW = "another long passphrase"


def _credentials(client, admin_headers, name):
    r = client.post("/v1/users", json={"name": name, "role": "analyst", "password": PASSWORD},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 201, r.text
    login = {"name": name, "password": PASSWORD}
    first = bearer(client.post("/v1/auth/login", json=login).json())
    second = bearer(client.post("/v1/auth/login", json=login).json())
    r = client.post("/v1/tokens", json={"name": "etl", "scopes": ["profiles:read"]},
                    headers=first)  # fmt: skip
    assert r.status_code == 201, r.text
    return first, second, bearer(r.json())


def _works(client, headers):
    return client.get("/v1/auth/me", headers=headers).status_code == 200


def test_changing_ones_own_password_revokes_every_other_credential(client, admin_headers):
    first, second, token = _credentials(client, admin_headers, "ana")
    r = client.put("/v1/auth/password", headers=first,
                   json={"current_password": PASSWORD, "new_password": NEW})  # fmt: skip
    assert r.status_code == 200 and r.json()["revoked_tokens"] == 2
    assert _works(client, first)  # the session that made the change stays
    assert not _works(client, second) and not _works(client, token)


def test_an_admin_reset_revokes_all_of_them(client, admin_headers):
    first, second, token = _credentials(client, admin_headers, "ben")
    r = client.put("/v1/users/ben/password", json={"password": NEW}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["revoked_tokens"] == 3
    assert not any(_works(client, h) for h in (first, second, token))
    assert client.post("/v1/auth/login", json={"name": "ben", "password": NEW}).status_code == 200
    listed = client.get("/v1/tokens?user=ben&all=true", headers=admin_headers).json()
    assert {t["status"] for t in listed if t["name"] != "login"} == {"revoked"}
