"""Erasure against work that read the person before it and writes after it: destination
syncs (files, webhooks) and prediction jobs must not write an erased person back; database
destinations get the person's rows deleted."""

from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import pytest

from opencdp.activate import Access, sync
from opencdp.admin import Admin
from opencdp.predict.scores import write_scores
from tests.privacy.people import ANN, BOB, populate
from tests.sources.conftest import MARIADB_URL, POSTGRES_URL, mariadb, postgres  # noqa: F401


@pytest.fixture
def admin(workspace):
    return Admin(workspace)


class Eraser:
    """Erases Ann on another thread; `committed` is set once the erasure's database step
    has committed (the live graph is forgotten right after it)."""

    def __init__(self, admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
        self.admin = admin
        self.committed = threading.Event()
        self.result: dict[str, Any] = {}
        forget = admin.ws.identity.forget

        def forget_then_signal(*args: Any, **kwargs: Any) -> tuple[int, int]:
            try:
                return forget(*args, **kwargs)
            finally:
                self.committed.set()

        monkeypatch.setattr(admin.ws.identity, "forget", forget_then_signal)
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self.result = self.admin.privacy_erase(ANN.email)

    def start_and_wait_for_the_database_step(self) -> None:
        self.thread.start()
        assert self.committed.wait(60), "the erasure's database step never committed"

    def join(self) -> dict[str, Any]:
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.result


def _state(admin: Admin, destination: str) -> list[str]:
    return [r[0] for r in admin.ws.read(lambda con: con.execute(
        "SELECT s.profile_id FROM destination_state s JOIN destinations d USING"
        " (destination_id) WHERE d.name = ? ORDER BY 1", [destination]).fetchall())]  # fmt: skip


def test_a_file_sync_that_read_the_person_before_the_erasure(admin, tmp_path, monkeypatch):
    ids = populate(admin, tmp_path)
    late = tmp_path / "late"
    late.mkdir()
    admin.create_destination("late-file", "file", "buyers", "email",
                             {"path": str(late), "format": "csv",
                              "traits": ["email", "first_name"]})  # fmt: skip
    eraser = Eraser(admin, monkeypatch)
    sync_module = importlib.import_module("opencdp.activate.sync")  # not the function
    deliver = sync_module.deliver_files

    def deliver_after_the_erasure(*args: Any) -> Any:  # planned before, written after
        eraser.start_and_wait_for_the_database_step()
        return deliver(*args)

    monkeypatch.setattr(sync_module, "deliver_files", deliver_after_the_erasure)
    row = admin.sync_destination("late-file")
    receipt = eraser.join()["receipt"]

    assert row["sent"] == 2, "the sync sent both, Ann included"
    assert _state(admin, "late-file") == [ids["bob"]], "Ann's delivery is not recorded"
    text = "".join(p.read_text() for p in late.iterdir())
    assert ANN.email not in text and ANN.first_name not in text, "scrubbed after the sync"
    assert BOB.email in text
    assert any(f["destination"] == "late-file" for f in receipt["files"])
    assert "late-file" in receipt["destinations_to_notify"]
    assert receipt["delivered_during_erasure"] == ["late-file"]


@pytest.mark.parametrize("her_batch", [200, 500])
def test_a_webhook_sync_that_read_the_person_before_the_erasure(
    admin, tmp_path, monkeypatch, her_batch
):
    """Her batch goes out after the erasure committed: delivered, the receipt names the
    destination (and nothing records her as held); failed, no dead letter keeps her."""
    ids = populate(admin, tmp_path)
    admin.create_destination("late-hook", "webhook", "buyers", "email",
                             {"url": "http://127.0.0.1:9/hook", "secret": "s" * 16,
                              "batch_size": 1, "traits": ["email"]})  # fmt: skip
    eraser = Eraser(admin, monkeypatch)

    def receiver(request: httpx.Request) -> httpx.Response:
        if not eraser.thread.is_alive() and not eraser.committed.is_set():
            eraser.start_and_wait_for_the_database_step()  # the first batch is on its way
        return httpx.Response(her_batch if ids["ann"].encode() in request.content else 200)

    client = httpx.Client(transport=httpx.MockTransport(receiver))
    ws = admin.ws
    row = sync(Access(ws.read, ws.write), "late-hook", client=client, sleep=lambda s: None)
    receipt = eraser.join()["receipt"]

    assert row["status"] == ("completed" if her_batch == 200 else "partial")
    assert _state(admin, "late-hook") == [ids["bob"]]
    letters = ws.read(lambda con: con.execute(
        "SELECT body FROM destination_dead_letters l JOIN destinations d USING"
        " (destination_id) WHERE d.name = 'late-hook'").fetchall())  # fmt: skip
    assert letters == [], "her failed batch is no dead letter: nobody else was in it"
    delivered_to_her = her_batch == 200
    assert ("late-hook" in receipt["destinations_to_notify"]) is delivered_to_her
    assert receipt.get("delivered_during_erasure", []) == (["late-hook"] if delivered_to_her
                                                           else [])  # fmt: skip


def test_prediction_scores_are_not_written_for_a_profile_erased_meanwhile(admin, tmp_path):
    ids = populate(admin, tmp_path)
    admin.privacy_erase(ANN.email)  # after the scores were computed, before they are written
    ws = admin.ws
    written = ws.write(lambda con: write_scores(
        con, "churn", np.array([ids["ann"], ids["bob"]], dtype=object), np.array([0.9, 0.2]),
        scored_at=datetime.now(UTC)))  # fmt: skip
    assert written == 2
    rows = ws.read(lambda con: con.execute(
        "SELECT profile_id, prediction FROM profile_predictions ORDER BY 2").fetchall())
    assert rows == [(ids["bob"], "churn"), (ids["bob"], "churn_percentile")]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_database_destination_loses_the_persons_row(admin, tmp_path, dialect, request):
    connection = request.getfixturevalue("postgres" if dialect == "postgresql" else "mariadb")
    url = POSTGRES_URL if dialect == "postgresql" else MARIADB_URL
    table = f"erase_{datetime.now(UTC).strftime('%H%M%S%f')}"
    ids = populate(admin, tmp_path)
    admin.create_destination("warehouse", "database", "buyers", "email",
                             {"url": url, "table": table, "traits": ["email"]})  # fmt: skip
    try:
        admin.sync_destination("warehouse")

        def rows() -> list[str]:
            cursor = connection.cursor()
            cursor.execute(f"SELECT profile_id FROM {table} ORDER BY 1")
            return [r[0] for r in cursor.fetchall()]

        assert rows() == sorted([ids["ann"], ids["bob"]])
        receipt = admin.privacy_erase(ANN.phone)["receipt"]
        assert rows() == [ids["bob"]]
        assert receipt["database_destinations"] == [{"destination": "warehouse",
                                                     "rows_deleted": 1}]  # fmt: skip
        assert "warehouse" not in receipt["destinations_to_notify"]
        assert receipt["files_failed"] == []
    finally:
        connection.cursor().execute(f"DROP TABLE IF EXISTS {table}")


def test_an_unreachable_database_destination_is_named_in_the_receipt(admin, tmp_path):
    populate(admin, tmp_path)
    admin.ws.write(lambda con: con.execute(
        "INSERT INTO destinations (destination_id, name, kind, purpose, segment_id, config,"
        " enabled, created_at, updated_at) SELECT 'd-gone', 'old-warehouse', 'database',"
        " 'email', segment_id, ?, false, now(), now() FROM segments LIMIT 1",
        ['{"url": "postgresql://nobody:secret@127.0.0.1:9/none", "table": "t",'
         ' "traits": []}']))  # fmt: skip
    request = admin.privacy_erase(ANN.email)
    assert request["status"] == "completed"
    (failure,) = request["receipt"]["files_failed"]
    assert failure["destination"] == "old-warehouse" and "secret" not in failure["error"]
    assert failure["error"].startswith("OperationalError")
