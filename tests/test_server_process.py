"""The server as users run it: `opencdp demo`, and logs that hold no personal data."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from tests.conftest import free_port


def test_logs_are_json_and_hold_no_personal_data_or_keys(server):
    key = server.create_source("web")["write_key"]
    secret_email = "somchai.private@example.co.th"
    for payload in (
        {"userId": "u1", "event": "Signed Up", "properties": {"email": secret_email}},
        {"userId": {"bad": secret_email}, "event": "x"},  # refused: may not leak via errors
    ):
        httpx.post(f"{server.url}/v1/track", json=payload, auth=(key, ""))
    httpx.post(f"{server.url}/v1/track", content=b"{bad json " + secret_email.encode(),
               auth=(key, ""))
    server.stop()
    log = (server.data_dir.parent / "server.log").read_text()
    assert log.strip(), "the server logs its life cycle"
    for line in log.splitlines():
        json.loads(line)
    assert secret_email not in log
    assert key not in log
    assert server.admin_token() not in log


def test_demo_starts_a_server_with_demo_data(tmp_path):
    port = free_port()
    data_dir = tmp_path / "demo-data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "opencdp", "demo", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(3)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        key = banner[2].split("write key:")[1].strip()
        assert key.startswith("wk_")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert proc.poll() is None, "demo exited"
                time.sleep(0.05)  # polling for readiness
        r = httpx.post(f"{url}/v1/track", json={"userId": "user-0001", "event": "Signed Up"},
                       auth=(key, ""))
        assert r.status_code == 200
        token = (data_dir / "admin-token").read_text().strip()
        counts = httpx.get(f"{url}/v1/events/count",
                           headers={"Authorization": f"Bearer {token}"}).json()
        assert counts["total"] > 100 and set(counts["by_type"]) == {
            "identify", "track", "page", "screen", "group", "alias"}
        segments = {s["name"]: s for s in httpx.get(
            f"{url}/v1/segments", headers={"Authorization": f"Bearer {token}"}).json()}
        assert set(segments) == {"thai-customers", "buyers", "newsletter-buyers"}
        assert 0 < segments["newsletter-buyers"]["member_count"] < segments["buyers"][
            "member_count"]  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=60)
