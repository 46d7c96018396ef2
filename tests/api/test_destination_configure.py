"""Where data goes is an admin's decision (H1): marketers send audiences to destinations an
admin configured, within the folders and hosts the installation allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opencdp.activate import Access, Egress
from opencdp.activate.schedule import run_due_syncs
from opencdp.admin import Admin
from opencdp.api.app import create_app
from opencdp.config import load_settings
from opencdp.workspace import Workspace, admin_token
from tests.api.security_helpers import user_token


@pytest.fixture
def segment(client, admin_headers):
    for name, where in (("everyone", "country exists"), ("thai", 'country = "TH"')):
        r = client.post("/v1/segments", json={"name": name, "where": where},
                        headers=admin_headers)  # fmt: skip
        assert r.status_code == 201, r.text


def test_marketers_send_audiences_but_do_not_choose_where(client, admin_headers, segment,
                                                           tmp_path):  # fmt: skip
    marketer = user_token(client, admin_headers, "marketer")
    loot = {"name": "mine", "kind": "file", "segment": "everyone", "purpose": "analytics",
            "config": {"path": str(tmp_path / "loot"), "format": "csv", "traits": ["email"]}}
    r = client.post("/v1/destinations", json=loot, headers=marketer)
    assert r.status_code == 403 and "destinations:configure" in r.json()["message"]
    crm = {**loot, "name": "crm", "config": {**loot["config"], "path": str(tmp_path / "crm")}}
    assert client.post("/v1/destinations", json=crm, headers=admin_headers).status_code == 201
    r = client.patch("/v1/destinations/crm/config", headers=marketer,
                     json={"config": {"path": str(tmp_path / "loot")}})  # fmt: skip
    assert r.status_code == 403
    assert client.delete("/v1/destinations/crm", headers=marketer).status_code == 403
    r = client.patch("/v1/destinations/crm/audience", headers=marketer,
                     json={"segment": "thai", "schedule_minutes": 60})  # fmt: skip
    assert r.status_code == 200, r.text
    shown = client.get("/v1/destinations/crm", headers=marketer).json()
    assert shown["schedule_minutes"] == 60 and shown["config"]["path"] == str(tmp_path / "crm")
    assert client.put("/v1/destinations/crm/enabled", json={"enabled": False},
                      headers=marketer).status_code == 200  # fmt: skip
    assert client.put("/v1/destinations/crm/enabled", json={"enabled": True},
                      headers=marketer).status_code == 200  # fmt: skip
    r = client.post("/v1/destinations/crm/sync?mode=full", headers=marketer)
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    assert not (tmp_path / "loot").exists()
    r = client.patch("/v1/destinations/crm/config", headers=admin_headers,
                     json={"config": {"traits": ["email", "country"]}})  # fmt: skip
    assert r.status_code == 200 and r.json()["config"]["traits"] == ["email", "country"]
    me = client.get("/v1/auth/me", headers=marketer).json()
    assert "destinations:write" in me["permissions"]
    assert "destinations:configure" not in me["permissions"]


@pytest.fixture
def strict(tmp_path):
    """An app on the default settings: files only under <data_dir>/exports, public hosts."""
    settings = load_settings(env={}, data_dir=tmp_path / "strict")
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {admin_token(settings)}"}
        r = client.post("/v1/segments", json={"name": "everyone", "where": "country exists"},
                        headers=headers)  # fmt: skip
        assert r.status_code == 201
        yield client, headers, settings


@pytest.mark.parametrize(("kind", "config"), [
    ("file", {"path": "/tmp/opencdp-loot", "format": "csv"}),
    ("file", {"path": "../../loot", "format": "csv"}),
    ("email_list", {"path": "/etc"}),
    ("webhook", {"url": "http://127.0.0.1:9/hook", "secret": "s" * 16}),
    ("webhook", {"url": "http://169.254.169.254/latest/meta-data/", "secret": "s" * 16}),
    ("database", {"url": "postgresql://postgres@127.0.0.1:5432/test", "table": "audience"}),
    ("database", {"url": "mysql://root@10.0.0.8/test", "table": "audience"}),
])  # fmt: skip
def test_even_admins_stay_inside_the_allowed_folders_and_hosts(strict, kind, config):
    client, headers, _ = strict
    purpose = "email_marketing" if kind == "email_list" else "analytics"
    body = {"name": "out", "kind": kind, "segment": "everyone", "purpose": purpose,
            "config": config}  # fmt: skip
    r = client.post("/v1/destinations", json=body, headers=headers)
    assert r.status_code == 400, r.text
    assert "destination_folders" in r.json()["message"] or (
        "destination_allowed_hosts" in r.json()["message"])


def test_a_relative_folder_lands_in_the_exports_folder(strict):
    client, headers, settings = strict
    body = {"name": "out", "kind": "file", "segment": "everyone", "purpose": "analytics",
            "config": {"path": "crm", "format": "jsonl"}}  # fmt: skip
    r = client.post("/v1/destinations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert Path(r.json()["config"]["path"]) == (settings.data_dir / "exports" / "crm").resolve()


def test_a_destination_the_settings_no_longer_allow_sends_nothing(tmp_path):
    data = tmp_path / "data"
    loose = load_settings(env={}, data_dir=data, destination_folders=str(tmp_path))
    with Workspace(loose) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        admin.create_segment("everyone", "country exists")
        admin.create_destination("out", "file", "everyone", "analytics",
                                 {"path": str(tmp_path / "out"), "format": "csv"},
                                 schedule_minutes=60)  # fmt: skip
    strict = load_settings(env={}, data_dir=data)  # the default again
    with Workspace(strict) as ws:
        admin = Admin(ws)
        with pytest.raises(ValueError, match="destination_folders"):
            admin.sync_destination("out")
        history = admin.destination_history("out")
        assert history[0]["status"] == "failed"
        assert "destination_folders" in json.dumps(history[0])
        # the server's schedule refuses it the same way, and goes on with the others
        later = datetime.now(UTC) + timedelta(hours=2)
        access = Access(ws.read, ws.write, Egress.from_settings(strict))
        assert run_due_syncs(access, later) == {"out": "failed"}
    assert not (tmp_path / "out").exists()
