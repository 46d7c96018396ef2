"""Requests as jobs: due dates, resuming after a crash at any step, re-applying the journal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from opencdp.admin import Admin
from opencdp.privacy import requests
from opencdp.privacy.journal import entries, reapply_journal
from opencdp.workspace import Workspace
from tests.collecting import collect
from tests.privacy.people import ANN, BOB, populate, scan


@pytest.mark.parametrize(("received", "due"), [
    (datetime(2025, 1, 31, 9, tzinfo=UTC), datetime(2025, 2, 28, 9, tzinfo=UTC)),
    (datetime(2024, 1, 31, 9, tzinfo=UTC), datetime(2024, 2, 29, 9, tzinfo=UTC)),
    (datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC)),
])  # fmt: skip
def test_a_request_is_due_one_month_after_it_was_received(received, due):
    assert requests.one_month_after(received) == due


def test_overdue_requests_are_listed(workspace):
    admin = Admin(workspace)
    old = datetime.now(UTC) - timedelta(days=40)
    workspace.write(lambda con: requests.create(con, "access", "x@y.co.th", old,
                                                request_id="pr_old"))  # fmt: skip
    listed = admin.privacy_requests(overdue=True)
    assert [r["request_id"] for r in listed] == ["pr_old"]
    assert listed[0]["status"] == "received"


def _crash_after(workspace: Workspace, step: str) -> str:
    """Start an erasure of Ann and stop it after `step`, as a crash would."""
    privacy = workspace.privacy
    request_id = workspace.write(lambda con: requests.create(con, "erasure", ANN.email,
                                                             datetime.now(UTC)))  # fmt: skip
    workspace.write(lambda con: requests.start(con, request_id, datetime.now(UTC)))
    request = workspace.read(lambda con: requests.load(con, request_id))
    if step == "database":
        workspace.profiles.exclusive(lambda: privacy._erase_database(request))
    return request_id


@pytest.mark.parametrize("step", ["received", "database"])
def test_an_erasure_left_running_resumes_when_the_workspace_opens(settings, tmp_path, step):
    with Workspace(settings) as workspace:
        admin = Admin(workspace)
        populate(admin, tmp_path)
        request_id = _crash_after(workspace, step)
        status = admin.privacy_request(request_id)["status"]
        assert status == "running"
    journalled = [e.request_id for e in entries(settings)]
    assert journalled == ([request_id] if step == "database" else []), \
        "the journal line is written with the deletion, before it commits"  # fmt: skip
    with Workspace(settings) as workspace:  # opening resumes it
        admin = Admin(workspace)
        request = admin.privacy_request(request_id)
        assert request["status"] == "completed", request
        assert scan(admin, ANN.values) == {}
        assert admin.get_profile(BOB.user_id)
        assert [e.request_id for e in entries(settings)] == [request_id]
        assert request["receipt"]["exports_deleted"] == 0
        assert {f["destination"] for f in request["receipt"]["files"]} == {"crm-file", "ads"}
        raw = workspace.read(lambda con: con.execute(
            "SELECT subject, target FROM privacy_requests WHERE request_id = ?",
            [request_id]).fetchone())  # fmt: skip
        assert raw == (None, None), "finished: the identifier and the person found are gone"


def test_reapplying_the_journal_erases_the_person_again(settings, tmp_path):
    """What a restore does: the database comes back from before the erasure, the journal
    (outside the database) erases them again from hashes alone."""
    with Workspace(settings) as workspace:
        admin = Admin(workspace)
        populate(admin, tmp_path)
    backup = tmp_path / "backup.duckdb"
    backup.write_bytes(settings.database_path.read_bytes())
    taken = datetime.now(UTC)
    with Workspace(settings) as workspace:
        erased = Admin(workspace).privacy_erase(ANN.user_id)
    settings.database_path.write_bytes(backup.read_bytes())  # "restore"
    with Workspace(settings) as workspace:
        admin = Admin(workspace)
        assert scan(admin, ANN.values), "the old database holds her again"
        receipts = reapply_journal(workspace, since=taken)
        assert [r["request_id"] for r in receipts] == [erased["request_id"]]
        receipt = receipts[0]["receipt"]
        assert receipts[0]["status"] == "completed" and receipts[0]["origin"] == "journal"
        assert receipt["found"] and receipt["tables"]["events"] >= 5
        assert scan(admin, ANN.values) == {}
        assert admin.get_profile(BOB.user_id)
        collect(admin, [{"type": "track", "userId": ANN.user_id, "event": "Back"}])
        assert admin.suppression_status()["drops"][0]["dropped"] == 1
        again = reapply_journal(workspace, since=taken)
        assert again[0]["receipt"]["found"] is False, "idempotent: nothing left to erase"
        assert json.dumps(again).lower().count(ANN.email) == 0
    assert reapply_journal.__doc__
