"""An erasure that meets a failure: journalled with the deletion, never `failed` once the
rows are gone, resumed by the scheduler, and never quoting data in its errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from opencdp.activate.files import file_name
from opencdp.admin import Admin
from opencdp.api.app import create_app
from opencdp.privacy import requests
from opencdp.privacy.journal import entries
from opencdp.workspace import admin_token
from tests.privacy.people import ANN, BOB, populate, scan


@pytest.fixture
def admin(workspace):
    return Admin(workspace)


def _no_personal_data(document: object) -> None:
    text = json.dumps(document).lower()
    for value in ANN.values:
        assert value.lower() not in text, value


def test_an_unreadable_destination_file_is_listed_and_the_rest_is_done(admin, tmp_path):
    """The review's case: a file in the destination's folder that cannot be parsed (sorted
    before the real sync file) used to fail the whole request after the rows were gone."""
    populate(admin, tmp_path)
    out = tmp_path / "out"
    broken = out / file_name("crm-file", __import__("datetime").datetime(2001, 1, 1), "full",
                             "parquet")  # fmt: skip
    broken.write_bytes(b"PAR1" + ANN.email.encode() + b",entered,extra")
    admin.privacy_export(ANN.email)

    request = admin.privacy_erase(ANN.email)

    assert request["status"] == "completed", request
    receipt = request["receipt"]
    assert [f["file"] for f in receipt["files_failed"]] == [str(broken)]
    assert receipt["files_failed"][0]["error"].startswith("ArrowInvalid")
    assert {f["destination"] for f in receipt["files"]} == {"crm-file", "ads"}, "others done"
    assert receipt["exports_deleted"] == 1
    assert [e.request_id for e in entries(admin.ws.settings)] == [request["request_id"]]
    _no_personal_data(request)
    text = "".join(p.read_text() for p in out.iterdir() if p.suffix == ".csv")
    assert ANN.email not in text and BOB.email in text


def test_a_failure_after_the_database_step_leaves_the_request_running_and_retried(
    admin, tmp_path
):
    populate(admin, tmp_path)
    privacy = admin.ws.privacy
    calls = []

    def destroy_keys(subject):  # e.g. crypto-shredding: down the first time
        calls.append(subject.profile_id)
        if len(calls) == 1:
            raise RuntimeError(f"key store unreachable while erasing {ANN.email}")
        return {"keys_destroyed": 1}

    privacy.after_erasure.append(("keys", destroy_keys))

    request = admin.privacy_erase(ANN.email)

    assert request["status"] == "running", "not failed: the rows are gone"
    assert "RuntimeError" in request["error"] and "retried" in request["error"]
    _no_personal_data(request)
    left = {k for k in scan(admin, ANN.values) if not k.startswith("privacy_requests.")}
    assert left == set(), "the database step committed (the running request keeps its target)"
    assert [e.request_id for e in entries(admin.ws.settings)] == [request["request_id"]]
    kept = admin.ws.read(lambda con: requests.load(con, request["request_id"]))
    assert kept["target"]["hashes"], "what the retry needs is kept"
    assert [r["request_id"] for r in admin.privacy_requests(status="running")] == [
        request["request_id"]]

    assert privacy.scheduled()["retried"] == 1
    done = admin.privacy_request(request["request_id"])
    assert done["status"] == "completed" and done["error"] is None
    assert done["receipt"]["hooks"]["keys"] == {"keys_destroyed": 1}  # (and data_keys: on)
    assert {f["destination"] for f in done["receipt"]["files"]} == {"crm-file", "ads"}
    assert privacy.scheduled()["retried"] == 0
    assert len(entries(admin.ws.settings)) == 1


def test_a_failure_before_the_database_step_fails_without_quoting_data(
    settings, tmp_path, monkeypatch
):
    def broken(con, subject):
        raise ValueError(f"row {ANN.email},{ANN.phone} does not parse")

    monkeypatch.setattr("opencdp.privacy.service.erase_rows", broken)
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {admin_token(settings)}"
        admin = Admin(client.app.state.workspace)
        populate(admin, tmp_path)
        answer = client.post("/v1/privacy/erasure", json={"identifier": ANN.email})
        assert answer.status_code == 500
        assert answer.json()["code"] == "request_failed"
        _no_personal_data(answer.json())
        (failed,) = admin.privacy_requests(status="failed")
        _no_personal_data(failed)
        assert "ValueError" in failed["error"]
        assert admin.get_profile(ANN.email), "nothing was deleted"
        assert entries(settings) == [], "nor journalled"


def test_the_cli_receipt_says_what_was_not_cleaned():
    from opencdp.cli.privacy import _receipt_text

    text = _receipt_text({
        "request_id": "pr_1", "status": "running", "error": "RuntimeError in keys.py:3; ...",
        "receipt": {"found": True, "tables": {"events": 3},
                    "database_destinations": [{"destination": "wh", "rows_deleted": 1}],
                    "files_failed": [{"destination": "crm", "file": "/out/crm-1.parquet",
                                      "error": "ArrowInvalid: the file could not be read"},
                                     {"destination": "old-wh", "error": "OperationalError"}]},
    })  # fmt: skip
    assert "rows deleted from database destination wh: 1" in text
    assert "NOT cleaned, see to it by hand: /out/crm-1.parquet (ArrowInvalid" in text
    assert "destination old-wh (OperationalError)" in text
    assert text.endswith("not finished: RuntimeError in keys.py:3; ...")
