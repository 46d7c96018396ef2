"""The merge rule: order-free, a denial never loses to an older grant, and SQL = the spec."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.db.migrations import migrate
from opencdp.privacy import ledger
from opencdp.privacy.consent_rule import DENIED, EXPIRED, GRANTED, Statement, decide, standing

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SUBJECTS = ("user_id:u1", "email:ann@x.com", "anonymous_id:a1", "anonymous_id:a2",
            "device_id:d1", "source_record:crm:7")  # fmt: skip
PURPOSES = ("email_marketing", "advertising")


def _at(hours: int) -> datetime:
    return NOW + timedelta(hours=hours)


@st.composite
def statements(draw: st.DrawFn, *, max_size: int = 12) -> list[Statement]:
    """Statements with few distinct times (so ties happen), some expiring, some lapsed."""
    rows = draw(st.lists(st.tuples(
        st.sampled_from(SUBJECTS), st.booleans(), st.integers(-6, 0),
        st.one_of(st.none(), st.integers(-3, 3)),
    ), max_size=max_size))  # fmt: skip
    return [Statement(i + 1, subject, granted, _at(hours),
                      _at(expiry) if granted and expiry is not None else None)
            for i, (subject, granted, hours, expiry) in enumerate(rows)]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(statements(), st.randoms(use_true_random=False))
def test_the_order_statements_arrive_in_does_not_matter(found, rnd):
    shuffled = list(found)
    rnd.shuffle(shuffled)
    assert decide(shuffled, NOW) == decide(found, NOW)


@settings(max_examples=300, deadline=None)
@given(statements(), st.sampled_from(SUBJECTS), st.integers(-8, 0), st.booleans())
def test_a_denial_never_loses_to_an_older_grant(found, subject, hours, expires):
    denials = [s for s in standing(found).values() if not s.granted]
    decided = decide(found, NOW)
    if decided is not None and decided.granted:  # the deciding grant is newer than all denials
        assert all(decided.statement.stated_at > d.stated_at for d in denials)
    if not denials:
        return
    newest = max(d.stated_at for d in denials)
    older = Statement(len(found) + 1, subject, True, min(_at(hours), newest),
                      _at(5) if expires else None)  # fmt: skip
    after = decide([*found, older], NOW)
    assert after is not None
    if after.granted:
        assert decided is not None and decided.granted


def test_the_rule_in_examples():
    device_no = Statement(1, "anonymous_id:a1", False, _at(-5))
    email_yes = Statement(2, "email:ann@x.com", True, _at(-4))
    account_yes = Statement(3, "user_id:u1", True, _at(-3))
    decided = decide([device_no, email_yes], NOW)
    assert decided is not None and decided.status == DENIED and decided.statement == device_no
    decided = decide([device_no, email_yes, account_yes], NOW)
    assert decided is not None and decided.status == GRANTED and decided.statement == account_yes
    account_no = Statement(4, "user_id:u1", False, _at(-2))
    device_yes = Statement(5, "anonymous_id:a1", True, _at(-1))
    decided = decide([device_no, account_yes, account_no, device_yes], NOW)
    assert decided is not None and decided.status == DENIED and decided.statement == account_no
    # the same identifier changing its mind: its newest statement stands
    decided = decide([device_no, device_yes], NOW)
    assert decided is not None and decided.status == GRANTED
    # a tie goes to the denial; a lapsed grant grants nothing and older statements stay gone
    tie = decide([Statement(6, "email:b@x.com", True, _at(-1)),
                  Statement(7, "email:b@x.com", False, _at(-1))], NOW)  # fmt: skip
    assert tie is not None and tie.status == DENIED
    lapsed = decide([Statement(8, "email:c@x.com", True, _at(-9)),
                     Statement(9, "email:c@x.com", True, _at(-2), _at(-1))], NOW)  # fmt: skip
    assert lapsed is not None and lapsed.status == EXPIRED
    # two grants, no denial: it holds until the last of them lapses
    held = decide([Statement(10, "email:d@x.com", True, _at(-3), _at(2)),
                   Statement(11, "anonymous_id:a9", True, _at(-2), _at(5))], NOW)  # fmt: skip
    assert held is not None and held.status == GRANTED and held.holds_until == _at(5)
    assert decide([], NOW) is None


# --- the SQL of privacy/ledger.py against the spec ---------------------------------------


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


def _load(con, found: list[tuple[str, Statement]], owner: dict[str, str]) -> None:
    for table in ("consent_ledger", "identity_links", "profile_consents"):
        con.execute(f"DELETE FROM {table}")
    for subject, profile_id in owner.items():
        kind, _, value = subject.partition(":")
        con.execute("INSERT INTO identity_links (identifier_type, identifier_value, profile_id)"
                    " VALUES (?, ?, ?)", [kind, value, profile_id])  # fmt: skip
    for purpose, s in found:
        kind, _, value = s.subject.partition(":")
        con.execute(
            "INSERT INTO consent_ledger (statement_id, subject_type, subject_value, purpose,"
            " granted, legal_basis, source, stated_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, 'consent', 'api', ?, ?)",
            [s.statement_id, kind, value, purpose, s.granted, s.stated_at, s.expires_at],
        )


def _derived(con) -> dict[tuple[str, str], tuple[bool, int, datetime | None]]:
    rows = con.execute("SELECT profile_id, purpose, granted, statement_id, expires_at"
                       " FROM profile_consents").fetchall()  # fmt: skip
    return {(p, c): (g, sid, exp) for p, c, g, sid, exp in rows}


def _expected(found, owner) -> dict[tuple[str, str], tuple[bool, int, datetime | None]]:
    expected = {}
    for profile_id in set(owner.values()):
        for purpose in PURPOSES:
            mine = [s for p, s in found if p == purpose and owner.get(s.subject) == profile_id]
            decided = decide(mine, NOW)
            if decided is None:
                continue
            until = (decided.holds_until if decided.status == GRANTED
                     else decided.statement.expires_at if decided.status == EXPIRED else None)
            expected[(profile_id, purpose)] = (decided.granted, decided.statement.statement_id,
                                               until)  # fmt: skip
    return expected


def _derive_all(con, profile_ids) -> None:
    ledger.derive_profiles(con, sorted(profile_ids), now=NOW)


@settings(max_examples=60, deadline=None)
@given(statements(max_size=16), st.lists(st.sampled_from(PURPOSES), min_size=16, max_size=16),
       st.lists(st.sampled_from(["p1", "p2", "p3"]), min_size=len(SUBJECTS),
                max_size=len(SUBJECTS)))  # fmt: skip
def test_sql_derivation_equals_the_rule(con, found, purposes, profiles):
    tagged = list(zip(purposes, found, strict=False))
    owner = dict(zip(SUBJECTS, profiles, strict=True))
    _load(con, tagged, owner)
    _derive_all(con, set(owner.values()))
    assert _derived(con) == _expected(tagged, owner)


@settings(max_examples=40, deadline=None)
@given(statements(max_size=16), st.lists(st.sampled_from(PURPOSES), min_size=16, max_size=16),
       st.randoms(use_true_random=False))  # fmt: skip
def test_merging_in_any_order_gives_the_same_consent(con, found, purposes, rnd: random.Random):
    """Each identifier starts on a profile of its own; they merge pairwise in two random
    orders (each merge re-derives the survivor, as identity's catch-up does): the end is the
    same, and equal to the rule applied to everything."""
    tagged = list(zip(purposes, found, strict=False))
    ends = []
    for _ in range(2):
        owner = {s: f"prof_{i}" for i, s in enumerate(SUBJECTS)}
        _load(con, tagged, owner)
        _derive_all(con, set(owner.values()))
        order = list(SUBJECTS)
        rnd.shuffle(order)
        survivor = owner[order[0]]
        for subject in order[1:]:
            absorbed = owner[subject]
            con.execute("UPDATE identity_links SET profile_id = ? WHERE profile_id = ?",
                        [survivor, absorbed])  # fmt: skip
            con.execute("DELETE FROM profile_consents WHERE profile_id = ?", [absorbed])
            owner = {k: survivor if v == absorbed else v for k, v in owner.items()}
            _derive_all(con, [survivor])
        ends.append({purpose: value for (_, purpose), value in _derived(con).items()})
        assert _derived(con) == _expected(tagged, owner)
    assert ends[0] == ends[1]
