"""Merge semantics on small, readable scenarios: alias chains, refused merges, limits,
stable ids, restarts."""

from __future__ import annotations

import duckdb
import pytest

from opencdp.identity import (
    Identifier,
    IdentityGraph,
    IdentityRules,
    Merge,
    Observation,
    OutOfOrder,
    RuleViolation,
    ViolationRule,
    profile_id_for,
    rebuild,
)

A1, A2 = Identifier("anonymous_id", "a-1"), Identifier("anonymous_id", "a-2")
U1, U2 = Identifier("user_id", "u1"), Identifier("user_id", "u2")
ANN = Identifier("email", "ann@mail.co.jp")
PHONE = Identifier("phone", "+66812345678")


def obs(seq: int, *identifiers: Identifier, origin: str | None = None) -> Observation:
    return Observation(seq, origin or f"event:{seq}", identifiers)


def test_alias_chain_becomes_one_profile_and_the_merge_explains_why():
    graph = IdentityGraph()
    first = graph.observe(obs(1, A1))  # page view on the laptop
    graph.observe(obs(2, A1, ANN))  # newsletter sign-up on the laptop
    second = graph.observe(obs(3, A2))  # page view on the phone
    graph.observe(obs(4, A2, U1))  # login on the phone
    assert first.profile_id != second.profile_id
    result = graph.observe(obs(5, U1, ANN, origin="record:crm:row-7"))  # CRM: u1's email

    assert first.profile_id == profile_id_for(A1)
    assert second.profile_id == profile_id_for(A2)
    assert result.profile_id == first.profile_id  # the older profile survives
    assert {graph.profile_of(i) for i in (A1, A2, U1, ANN)} == {first.profile_id}
    assert graph.identifiers_of(first.profile_id) == (U1, ANN, A1, A2)  # strongest first
    merge = Merge(first.profile_id, second.profile_id, ANN, "record:crm:row-7", 5)
    assert result.merges == (merge,)
    assert graph.merges_of(first.profile_id) == [merge]
    assert merge.rule == "shared_identifier"
    assert graph.identifiers_of(second.profile_id) == ()  # absorbed
    assert graph.violations == ()


def test_merges_of_follows_profiles_absorbed_in_turn():
    graph = IdentityGraph()
    for seq, identifier in enumerate((A1, A2, ANN, PHONE), start=1):
        graph.observe(obs(seq, identifier))
    graph.observe(obs(5, A2, PHONE))
    graph.observe(obs(6, A1, ANN))
    graph.observe(obs(7, ANN, PHONE))
    survivor = graph.profile_of(A1)
    assert [(m.absorbed, m.seq) for m in graph.merges_of(survivor)] == [
        (profile_id_for(PHONE), 5),
        (profile_id_for(ANN), 6),
        (profile_id_for(A2), 7),
    ]
    assert [m.survivor for m in graph.merges_of(survivor)] == [
        profile_id_for(A2), survivor, survivor
    ]  # fmt: skip


def test_two_user_ids_sharing_an_email_are_not_merged():
    graph = IdentityGraph()
    ann = graph.observe(obs(1, U1, ANN)).profile_id
    result = graph.observe(obs(2, U2, ANN, A2))
    assert result.profile_id == profile_id_for(U2) != ann
    assert graph.profile_of(ANN) == ann  # left where it was
    assert graph.profile_of(A2) == result.profile_id  # the rest links to the strongest
    assert result.merges == ()
    assert result.violations == (
        RuleViolation(ANN, result.profile_id, ViolationRule.CONFLICT, "event:2", 2, "user_id"),
    )


def test_when_a_merge_is_refused_the_strongest_identifier_is_the_anchor():
    graph = IdentityGraph()
    graph.observe(obs(1, U1, A1))
    graph.observe(obs(2, U2))
    result = graph.observe(obs(3, A1, PHONE, U2))  # u2 on u1's anonymous session
    assert result.profile_id == graph.profile_of(U2)
    assert graph.profile_of(PHONE) == graph.profile_of(U2)
    assert graph.profile_of(A1) == graph.profile_of(U1)
    assert [v.identifier for v in result.violations] == [A1]


def test_a_new_identifier_over_the_limit_is_refused_and_left_unlinked():
    rules = IdentityRules(limits={"email": 2})
    graph = IdentityGraph(rules)
    emails = [Identifier("email", f"{name}@mail.co.jp") for name in ("a", "b", "c")]
    result = graph.observe(obs(1, U1, *emails))
    assert graph.identifiers_of(result.profile_id) == (U1, emails[0], emails[1])
    assert graph.profile_of(emails[2]) is None
    assert result.violations == (
        RuleViolation(emails[2], result.profile_id, ViolationRule.LIMIT, "event:1", 1, "email"),
    )
    # seen alone later, it starts its own profile
    assert graph.observe(obs(2, emails[2])).profile_id == profile_id_for(emails[2])


def test_a_merge_that_would_exceed_a_limit_is_refused():
    graph = IdentityGraph(IdentityRules(limits={"email": 2}))
    one = graph.observe(obs(1, A1, Identifier("email", "a@x.jp"), Identifier("email", "b@x.jp")))
    graph.observe(obs(2, A2, ANN))
    result = graph.observe(obs(3, A1, A2))
    assert result.profile_id == one.profile_id
    assert [(v.identifier, v.limit_type) for v in result.violations] == [(A2, "email")]
    assert result.merges == ()


def test_unknown_types_get_the_default_priority_and_limit():
    rules = IdentityRules()
    assert rules.priority("crm_key") == 10 > rules.priority("device_id")
    assert rules.limit("crm_key") == 10
    assert rules.limit("customer_id") == 10
    assert rules.limit("user_id") == 1


def test_rules_refuse_a_limit_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        IdentityRules(limits={"email": 0})


def test_observations_must_arrive_in_seq_order():
    graph = IdentityGraph()
    graph.observe(obs(5, A1))
    graph.observe(obs(5, A2))  # ties are allowed and keep arrival order
    with pytest.raises(OutOfOrder):
        graph.observe(obs(4, U1))


def test_replays_give_the_same_profile_ids_and_restarts_continue_exactly():
    sequence = [obs(1, A1), obs(2, A2, ANN), obs(3, A1, U1), obs(4, U1, ANN), obs(5, U2, ANN)]
    whole = rebuild(sequence)
    graph = IdentityGraph()
    for observation in sequence[:3]:
        graph.observe(observation)
    graph = IdentityGraph.from_snapshot(graph.snapshot())
    for observation in sequence[3:]:
        graph.observe(observation)
    assert graph.snapshot() == whole.snapshot()
    assert whole.assignments() == {
        A1: profile_id_for(A1), A2: profile_id_for(A1), ANN: profile_id_for(A1),
        U1: profile_id_for(A1), U2: profile_id_for(U2),
    }  # fmt: skip


def test_profile_ids_can_be_derived_in_sql():
    ((sql_id,),) = duckdb.sql(
        "SELECT 'prof_' || lpad(format('{:x}', md5_number_upper(? || chr(0) || ?)), 16, '0')",
        params=[ANN.type, ANN.value],
    ).fetchall()
    assert sql_id == profile_id_for(ANN)
