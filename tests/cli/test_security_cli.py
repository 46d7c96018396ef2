"""`opencdp users` and `opencdp tokens` offline and through a running server."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx


def run(data_dir, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "opencdp", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=120, input=stdin, check=False,
    )  # fmt: skip


def ok(out):
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_users_and_tokens_lifecycle(mode):
    data = mode.data_dir
    added = json.loads(ok(run(data, "users", "add", "mia", "--role", "marketer",
                              "--password-stdin", "--json", stdin="a long passphrase\n")))
    assert added["role"] == "marketer" and "hash" not in json.dumps(added)
    weak = run(data, "users", "add", "leo", "--role", "viewer", "--password-stdin", stdin="x\n")
    assert weak.returncode == 1 and "at least 12" in weak.stderr
    ok(run(data, "users", "add", "leo", "--role", "viewer", "--no-password"))
    listed = ok(run(data, "users", "list"))
    assert "mia\tmarketer\tenabled" in listed and "leo\tviewer\tenabled" in listed

    issued = json.loads(ok(run(data, "tokens", "create", "--user", "mia", "--scope",
                               "segments:read", "--scope", "profiles:read", "--name", "ci",
                               "--json")))  # fmt: skip
    assert issued["token"].startswith("ocdp_") and issued["scopes"] == ["profiles:read",
                                                                         "segments:read"]
    tokens = json.loads(ok(run(data, "tokens", "list", "--user", "mia", "--json")))
    assert [t["token_id"] for t in tokens] == [issued["token_id"]]
    assert issued["token"] not in json.dumps(tokens)
    too_much = run(data, "tokens", "create", "--user", "mia", "--scope", "audit:read")
    assert too_much.returncode == 1 and "grant nothing" in too_much.stderr

    if mode.process is not None:  # the token works against the running server
        headers = {"Authorization": f"Bearer {issued['token']}"}
        assert httpx.get(f"{mode.url}/v1/segments", headers=headers).status_code == 200
        assert httpx.get(f"{mode.url}/v1/events", headers=headers).status_code == 403

    revoked = json.loads(ok(run(data, "tokens", "revoke", issued["token_id"], "--json")))
    assert revoked["status"] == "revoked"
    assert json.loads(ok(run(data, "tokens", "list", "--json"))) == []
    assert len(json.loads(ok(run(data, "tokens", "list", "--all", "--json")))) == 1
    missing = run(data, "tokens", "revoke", "0123456789abcdef")
    assert missing.returncode == 1 and "no token" in missing.stderr

    ok(run(data, "users", "passwd", "mia", "--password-stdin", stdin="another passphrase\n"))
    if mode.process is not None:
        login = httpx.post(f"{mode.url}/v1/auth/login",
                           json={"name": "mia", "password": "another passphrase"})  # fmt: skip
        assert login.status_code == 200
    ok(run(data, "users", "disable", "mia"))
    assert "mia\tmarketer\tdisabled" in ok(run(data, "users", "list"))
    ok(run(data, "users", "set-role", "leo", "analyst"))
    assert "leo\tanalyst" in ok(run(data, "users", "list"))
    unknown = run(data, "users", "disable", "nobody")
    assert unknown.returncode == 1 and "no user named" in unknown.stderr
