"""Identity resolution over stored pseudonyms (field encryption on): a placeholder judged at
ingest stays blocked, and profile ids are not an unkeyed hash of a guessable value (M5)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencdp.crypto.personal import PersonalData
from opencdp.identity import Identifier, IdentityGraph, IdentityRules, Observation, profile_id_for
from tests.identity.helpers import IDENTIFIERS

MASTER = secrets.token_bytes(32)
RULES = IdentityRules()


@pytest.fixture(scope="module")
def personal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PersonalData]:
    made = PersonalData(MASTER, Path(tmp_path_factory.mktemp("keys")) / "keystore.sqlite")
    yield made
    made.close()


def stored(personal: PersonalData, identifier: Identifier) -> Identifier:
    """What ingest stores: the pseudonym, marked `~` when the plaintext is a placeholder."""
    text = personal.identifier(f"{identifier.type}:{identifier.value}",
                               blocked=RULES.is_blocked(identifier))  # fmt: skip
    kind, _, value = text.partition(":")
    return Identifier(kind, value)


def test_a_marked_pseudonym_is_blocked_and_an_unmarked_one_is_not(personal):
    for identifier in IDENTIFIERS:
        assert RULES.is_blocked(stored(personal, identifier)) == RULES.is_blocked(identifier)
    assert RULES.is_blocked(Identifier("email", "~" + "A" * 22))
    # only the exact shape: a plain value that happens to start with ~ is not a placeholder
    assert not RULES.is_blocked(Identifier("user_id", "~bob"))
    assert not RULES.is_blocked(Identifier("user_id", "~" + "A" * 23))


# One identifier per type in an observation: within a type, resolution breaks ties by value,
# and pseudonyms sort differently from their plaintexts.
_BATCH = st.lists(st.sampled_from(IDENTIFIERS), max_size=4, unique_by=lambda i: i.type)


@given(st.lists(_BATCH, max_size=25))
def test_resolving_pseudonyms_gives_the_plain_graph_renamed(personal, batches):
    """Same profiles over stored pseudonyms as over plaintext; each profile id is derived
    from the stored (keyed) form, never from the plaintext."""
    plain, hidden = IdentityGraph(RULES), IdentityGraph(RULES)
    for seq, ids in enumerate(batches, start=1):
        plain.observe(Observation(seq, f"event:{seq}", tuple(ids)))
        hidden.observe(Observation(seq, f"event:{seq}", tuple(stored(personal, i) for i in ids)))
    renamed = {}
    for profile_id in plain.profile_ids():
        members = plain.identifiers_of(profile_id)
        twin = hidden.profile_of(stored(personal, members[0]))
        assert twin is not None
        assert {stored(personal, i) for i in members} == set(hidden.identifiers_of(twin))
        assert twin.split("_")[1] != profile_id.split("_")[1]  # not an MD5 of the plaintext
        renamed[profile_id] = twin
    assert sorted(renamed.values()) == sorted(hidden.profile_ids())


def test_a_profile_id_is_the_hash_of_the_stored_form(personal):
    email = Identifier("email", "ann@mail.co.jp")
    graph = IdentityGraph(RULES)
    graph.observe(Observation(1, "event:1", (stored(personal, email),)))
    (profile_id,) = graph.profile_ids()
    assert profile_id == profile_id_for(stored(personal, email))
    assert profile_id != profile_id_for(email)
