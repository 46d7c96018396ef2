"""Over-merge protection: shared devices and placeholder values must not glue people."""

from __future__ import annotations

from collections import Counter

from opencdp.identity import (
    Identifier,
    IdentityGraph,
    IdentityRules,
    Observation,
    ViolationRule,
    rebuild,
)
from tests.identity.helpers import check_invariants

DEVICE = Identifier("device_id", "kiosk-1")


def test_a_device_shared_by_1000_people_with_user_ids_merges_nobody():
    sequence = [
        Observation(n, f"event:{n}", (Identifier("user_id", f"u{n}"), DEVICE)) for n in range(1000)
    ]
    graph = rebuild(sequence)
    check_invariants(graph)
    assert graph.merges == ()
    profiles = {graph.profile_of(Identifier("user_id", f"u{n}")) for n in range(1000)}
    assert len(profiles) == 1000 == len(graph.profile_ids())
    # the device stays with the first person; everyone else is refused, then it is shared
    assert graph.profile_of(DEVICE) == graph.profile_of(Identifier("user_id", "u0"))
    rules = Counter(v.rule for v in graph.violations)
    limit = graph.rules.max_profiles_per_value
    assert rules == {ViolationRule.CONFLICT: limit, ViolationRule.SHARED: 999 - limit}
    assert all(v.identifier == DEVICE for v in graph.violations)
    assert {v.limit_type for v in graph.violations if v.rule is ViolationRule.CONFLICT} == {
        "user_id"
    }


def test_without_the_shared_guard_the_limits_alone_still_merge_nobody():
    sequence = [
        Observation(n, f"event:{n}", (DEVICE, Identifier("user_id", f"u{n}"))) for n in range(1000)
    ]
    graph = rebuild(sequence, IdentityRules(max_profiles_per_value=None))
    assert graph.merges == ()
    assert len(graph.profile_ids()) == 1000
    assert Counter(v.rule for v in graph.violations) == {ViolationRule.CONFLICT: 999}


def test_a_device_shared_by_people_known_only_by_email_glues_at_most_the_email_limit():
    """Known limitation of deterministic rules: nothing tells 'second email of the same
    person' from 'another person on the device', so the device's profile takes emails up
    to the limit (5); after that the device is refused and, soon, shared."""
    sequence = [
        Observation(n, f"event:{n}", (Identifier("email", f"p{n}@mail.co.jp"), DEVICE))
        for n in range(1000)
    ]
    graph = rebuild(sequence)
    check_invariants(graph)
    assert graph.merges == ()
    device_profile = graph.profile_of(DEVICE)
    assert device_profile is not None
    emails = [i for i in graph.identifiers_of(device_profile) if i.type == "email"]
    assert len(emails) == 5
    assert len(graph.profile_ids()) == 1000 - 4
    assert graph.violations[-1].rule is ViolationRule.SHARED


def test_placeholder_values_shared_by_many_people_merge_nobody():
    placeholders = (
        Identifier("email", "test@test.com"),
        Identifier("email", "TEST@test.com"),
        Identifier("email", "noreply@shop.co.th"),
        Identifier("phone", "0000000000"),
        Identifier("phone", "+0000000"),
        Identifier("anonymous_id", "undefined"),
        Identifier("anonymous_id", " NULL "),
        Identifier("customer_id", "-1"),
        Identifier("loyalty_id", "N/A"),
        Identifier("user_id", ""),
    )
    sequence = [
        Observation(n, f"record:crm:row-{n}", (Identifier("anonymous_id", f"a{n}"), *placeholders))
        for n in range(300)
    ]
    graph = rebuild(sequence)
    check_invariants(graph)
    assert graph.merges == ()
    assert len(graph.profile_ids()) == 300
    assert not any(graph.profile_of(p) for p in placeholders)
    assert Counter(v.rule for v in graph.violations) == {ViolationRule.BLOCKED: 300 * 10}


def test_an_observation_of_placeholders_only_resolves_to_no_profile():
    graph = IdentityGraph()
    result = graph.observe(Observation(1, "event:1", (Identifier("email", "test@test.com"),)))
    assert result.profile_id is None
    assert [v.rule for v in result.violations] == [ViolationRule.BLOCKED]
    assert graph.profile_ids() == []


def test_blocking_is_case_insensitive_and_configurable():
    rules = IdentityRules(blocked_values=frozenset({"Guest"}), block_zero_values=False)
    assert rules.is_blocked(Identifier("user_id", " GUEST "))
    assert not rules.is_blocked(Identifier("phone", "0000000000"))
    defaults = IdentityRules()
    assert defaults.is_blocked(Identifier("phone", "000-0000"))
    assert defaults.is_blocked(Identifier("email", "No-Reply@shop.jp"))
    assert not defaults.is_blocked(Identifier("phone", "+66812345678"))
    assert not defaults.is_blocked(Identifier("user_id", "noreply"))  # only email local parts
    assert not defaults.is_blocked(Identifier("user_id", "10"))
