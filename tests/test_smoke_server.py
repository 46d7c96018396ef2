import httpx


def test_server_accepts_a_track_call(server):
    key = server.create_source("web")["write_key"]
    r = httpx.post(
        f"{server.url}/v1/track", json={"userId": "u1", "event": "Signed Up"}, auth=(key, "")
    )
    assert r.status_code == 200 and r.json() == {"success": True}
    out = server.cli("events", "count", "--json")
    assert '"total": 1' in out.stdout
