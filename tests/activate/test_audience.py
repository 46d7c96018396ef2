"""Who is sent: consent for the destination's purpose, suppression, and what changed."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.activate import consented_members, create_destination, sync, sync_history
from opencdp.activate.audience import plan_sync
from opencdp.activate.catalog import load_destination
from opencdp.activate.state import record_delivered
from opencdp.db.migrations import migrate
from tests.activate.conftest import NOW, SEGMENT, add_profile, set_consent, set_members, set_traits

EMAIL = {"email_marketing": True}


def _changes(con, name="d", mode="incremental"):
    plan = plan_sync(con, load_destination(con, name), mode)
    return {c.profile_id: (c.change, c.values) for c in plan.changes}, plan.skipped_no_consent


def _dest(con, tmp_path, traits=("email", "first_name")):
    create_destination(
        con,
        "d",
        "file",
        SEGMENT,
        "email",
        {"path": str(tmp_path), "format": "jsonl", "traits": list(traits)},
    )


def test_only_consented_unsuppressed_members(con):
    add_profile(con, "a", {}, consents=EMAIL)
    add_profile(con, "b", {}, consents={"email_marketing": False})
    add_profile(con, "c", {}, consents={"advertising": True})
    add_profile(con, "d", {}, consents=EMAIL)
    add_profile(con, "e", {}, consents=EMAIL)  # consented but not a member
    con.execute("INSERT INTO suppressed_profiles (profile_id, reason) VALUES ('d', 'erasure')")
    set_members(con, ["a", "b", "c", "d"])
    assert consented_members(con, SEGMENT, "email_marketing") == ["a"]
    assert consented_members(con, SEGMENT, "advertising") == ["c"]


def test_golden_email_preferred_identifier_fallback_and_computed(con, tmp_path):
    add_profile(
        con,
        "a",
        {"email": "gold@x.com", "first_name": "Ann"},
        consents=EMAIL,
        identifiers={"email": "old@x.com"},
    )
    add_profile(
        con,
        "b",
        {},
        consents=EMAIL,
        identifiers={"email": "id@x.com"},
        computed={"first_name": "Bob"},
    )
    set_members(con, ["a", "b"])
    _dest(con, tmp_path)
    changes, _ = _changes(con)
    assert changes == {
        "a": ("entered", {"email": "gold@x.com", "first_name": "Ann"}),
        "b": ("entered", {"email": "id@x.com", "first_name": "Bob"}),
    }


def test_incremental_sends_entries_exits_changes_and_withdrawals(con, tmp_path):
    for pid in ("a", "b", "c", "d"):
        add_profile(con, pid, {"email": f"{pid}@x.com"}, consents=EMAIL)
    add_profile(con, "n", {"email": "n@x.com"})  # no consent statement at all
    set_members(con, ["a", "b", "c", "n"])
    _dest(con, tmp_path)
    first = sync(con, "d", now=NOW)
    assert (first["added"], first["removed"], first["skipped_no_consent"]) == (3, 0, 1)
    assert _changes(con)[0] == {}, "nothing changed since the last delivery"

    set_members(con, ["a", "b", "d", "n"])  # c left, d entered
    set_traits(con, "a", {"email": "a2@x.com"})  # a changed
    set_consent(con, "b", "email_marketing", False)  # b withdrew
    changes, skipped = _changes(con)
    assert {k: v[0] for k, v in changes.items()} == {
        "a": "updated",
        "b": "exited",
        "c": "exited",
        "d": "entered",
    }
    assert skipped == 2
    second = sync(con, "d", now=NOW)
    assert (second["sent"], second["added"], second["updated"], second["removed"]) == (4, 1, 1, 2)
    held = con.execute("SELECT profile_id FROM destination_state ORDER BY 1").fetchall()
    assert held == [("a",), ("d",)]
    full = _changes(con, mode="full")[0]
    assert {k: v[0] for k, v in full.items()} == {"a": "unchanged", "d": "unchanged"}
    assert [h["mode"] for h in sync_history(con, "d")] == ["incremental", "incremental"]


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sets(st.sampled_from("abcdef")),
            st.sets(st.sampled_from("abcdef")),
            st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["x", "y"])),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_state_always_equals_the_consented_audience(rounds):
    """After every incremental sync the destination holds exactly the consented members with
    their current values, whatever happened in between (property)."""
    con = duckdb.connect()
    migrate(con)
    con.execute(
        "INSERT INTO segments (segment_id, name, definition, text) VALUES (?, 'VIP', '{}', 'v')",
        [SEGMENT],
    )
    for pid in "abcdef":
        add_profile(con, pid, {"email": f"{pid}@x.com", "first_name": "x"})
    create_destination(
        con,
        "d",
        "webhook",
        SEGMENT,
        "email",
        {"url": "http://127.0.0.1:9/", "secret": "0123456789abcdef", "traits": ["first_name"]},
    )
    held: dict[str, str] = {}
    for members, consenting, names in rounds:
        set_members(con, sorted(members))
        for pid in "abcdef":
            set_consent(con, pid, "email_marketing", pid in consenting)
        for pid, name in names.items():
            set_traits(con, pid, {"email": f"{pid}@x.com", "first_name": name})
        plan = plan_sync(con, load_destination(con, "d"), "incremental")
        for change in plan.changes:  # apply as a receiver would
            if change.change == "exited":
                del held[change.profile_id]
            else:
                assert change.profile_id not in held or change.change == "updated"
                held[change.profile_id] = change.values["first_name"]
        record_delivered(con, load_destination(con, "d").destination_id, plan.changes, NOW)
        expected = {
            p: con.execute(
                "SELECT traits->>'first_name' FROM profiles WHERE profile_id = ?", [p]
            ).fetchone()[0]
            for p in members & consenting
        }
        assert held == expected
    con.close()
