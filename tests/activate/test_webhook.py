"""Webhook delivery end to end against a real HTTP receiver."""

from __future__ import annotations

import threading

import duckdb
import pytest

from opencdp.activate import (
    Access,
    DeadLetterNotPending,
    create_destination,
    dead_letters,
    replay_dead_letter,
    sync,
)
from opencdp.activate.signing import signature, verify
from tests.activate.conftest import NOW, SEGMENT, add_profile, set_consent, set_members
from tests.activate.receiver import SECRET, receiver

EMAIL = {"email_marketing": True}


def _hook(con, url, **extra):
    config = {
        "url": url,
        "secret": SECRET,
        "traits": ["email", "tier"],
        "backoff_seconds": 0.5,
        "max_attempts": 3,
        **extra,
    }
    create_destination(con, "hook", "webhook", SEGMENT, "email_marketing", config)


def _people(con):
    add_profile(con, "p1", {"email": "a@x.com", "tier": "gold"}, consents=EMAIL)
    add_profile(con, "p2", {"email": "b@x.com", "tier": "silver"}, consents=EMAIL)
    add_profile(con, "p3", {"email": "c@x.com", "tier": "gold"}, consents=EMAIL)
    add_profile(con, "nope", {"email": "n@x.com"}, consents={"email_marketing": False})
    set_members(con, ["p1", "p2", "p3", "nope"])


def test_signature_scheme():
    header = signature("k" * 16, b'{"a":1}', 1_700_000_000)
    assert verify("k" * 16, b'{"a":1}', header, 1_700_000_100)
    assert not verify("k" * 16, b'{"a":2}', header, 1_700_000_100), "body tampered"
    assert not verify("x" * 16, b'{"a":1}', header, 1_700_000_100), "wrong secret"
    assert not verify("k" * 16, b'{"a":1}', header, 1_700_000_400), "too old: replay refused"


def test_retries_with_backoff_and_retry_after_keep_the_idempotency_key(con):
    _people(con)
    waits: list[float] = []
    with receiver() as hook:
        hook.script = [(503, {}), (429, {"Retry-After": "2"})]
        _hook(con, hook.url, batch_size=2)
        result = sync(con, "hook", now=NOW, sleep=waits.append)
        set_members(con, ["p1", "p2", "p3"])
        set_consent(con, "p2", "email_marketing", False)
        later = sync(con, "hook", now=NOW, sleep=waits.append)
    assert waits == [0.5, 2.0], "exponential backoff first, then the receiver's Retry-After"
    assert all(r.signed for r in hook.requests), "every attempt is validly signed"
    keys = [r.key for r in hook.requests]
    assert keys[0] == keys[1] == keys[2] != keys[3], "stable across retries, new per batch"
    assert hook.requests[0].raw == hook.requests[2].raw
    first, second = hook.requests[2].body, hook.requests[3].body
    assert (first["batch"], first["batches"], second["batch"]) == (1, 2, 2)
    sent = first["entered"] + second["entered"]
    assert sent == [
        {"profile_id": "p1", "traits": {"email": "a@x.com", "tier": "gold"}},
        {"profile_id": "p2", "traits": {"email": "b@x.com", "tier": "silver"}},
        {"profile_id": "p3", "traits": {"email": "c@x.com", "tier": "gold"}},
    ]
    assert (result["status"], result["sent"], result["added"], result["skipped_no_consent"]) == (
        "completed",
        3,
        3,
        1,
    )
    body = hook.requests[4].body
    assert len(hook.requests) == 5 and later["removed"] == 1
    assert (body["entered"], body["updated"], body["exited"]) == ([], [], [{"profile_id": "p2"}])


def test_client_errors_are_not_retried(con):
    _people(con)
    with receiver() as hook:
        hook.script = [(400, {})]
        _hook(con, hook.url)
        result = sync(con, "hook", now=NOW, sleep=lambda s: None)
    assert len(hook.requests) == 1
    assert result["status"] == "failed" and result["errors"][0].startswith("batch 1 of 1: HTTP 400")


def test_dead_letter_replay_then_nothing_left_to_send(con):
    _people(con)
    with receiver() as hook:
        hook.script = [(500, {})] * 3
        _hook(con, hook.url)
        failed = sync(con, "hook", now=NOW, sleep=lambda s: None)
        assert (failed["status"], failed["sent"]) == ("failed", 0)
        (letter,) = dead_letters(con, "hook")
        assert (letter["status"], letter["attempts"], letter["members"]) == ("pending", 3, 3)
        assert con.execute("SELECT count(*) FROM destination_state").fetchall() == [(0,)]

        replayed = replay_dead_letter(con, "hook", letter["letter_id"], sleep=lambda s: None)
        assert replayed["status"] == "replayed" and replayed["attempts"] == 4
        assert hook.requests[-1].key == letter["idempotency_key"] == hook.requests[0].key
        assert hook.requests[-1].raw == hook.requests[0].raw, "the stored batch, unchanged"
        with pytest.raises(DeadLetterNotPending):
            replay_dead_letter(con, "hook", letter["letter_id"], sleep=lambda s: None)
        count = len(hook.requests)
        again = sync(con, "hook", now=NOW, sleep=lambda s: None)
    assert (again["status"], again["sent"], len(hook.requests)) == ("completed", 0, count)


def test_replay_rechecks_consent_and_later_sync_supersedes(con):
    _people(con)
    with receiver() as hook:
        hook.script = [(500, {})] * 3
        _hook(con, hook.url)
        sync(con, "hook", now=NOW, sleep=lambda s: None)
        (letter,) = dead_letters(con, "hook")
        set_consent(con, "p3", "email_marketing", False)
        replay_dead_letter(con, "hook", letter["letter_id"], sleep=lambda s: None)
        replayed = hook.requests[-1]
        assert [m["profile_id"] for m in replayed.body["entered"]] == ["p1", "p2"]
        assert replayed.key != letter["idempotency_key"], "a changed body gets a new key"

        hook.script = [(500, {})] * 3
        set_consent(con, "p3", "email_marketing", True)
        sync(con, "hook", now=NOW, sleep=lambda s: None)  # p3 fails again
        older = [d for d in dead_letters(con, "hook") if d["status"] == "pending"]
        sync(con, "hook", now=NOW, sleep=lambda s: None)  # p3 delivered now
    assert {d["letter_id"]: d["status"] for d in dead_letters(con, "hook")}[
        older[0]["letter_id"]
    ] == "superseded"
    with pytest.raises(DeadLetterNotPending):
        replay_dead_letter(con, "hook", older[0]["letter_id"], sleep=lambda s: None)


def test_delivery_does_not_hold_the_writer(con):
    """With separate read/write callables, the HTTP call happens while no write runs."""
    _people(con)
    writing = threading.Lock()
    seen: list[bool] = []

    def write(fn):
        with writing:
            con.execute("BEGIN")
            try:
                out = fn(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return out

    def read(fn):
        return fn(con.cursor())

    with receiver() as hook:
        hook.on_request = lambda: seen.append(writing.locked())
        _hook(con, hook.url)
        result = sync(Access(read=read, write=write), "hook", now=NOW)
    assert seen == [False] and result["added"] == 3
    assert isinstance(con, duckdb.DuckDBPyConnection)
