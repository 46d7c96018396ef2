"""Keyed pseudonyms of identifiers: equal exactly when the values are, keyed, type kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opencdp.crypto.pseudonyms import LENGTH, Pseudonyms, is_pseudonym

MASTER = bytes(range(32))
values = st.text(min_size=1, max_size=40)


@given(a=values, b=values)
def test_pseudonyms_are_equal_exactly_when_identifiers_are(a: str, b: str) -> None:
    names = Pseudonyms(MASTER, cache_size=4)
    assert (names.of_identifier("email:" + a) == names.of_identifier("email:" + b)) == (a == b)


@given(value=values)
def test_the_type_stays_readable_and_the_value_does_not(value: str) -> None:
    made = Pseudonyms(MASTER).of_identifier("email:" + value)
    kind, _, tail = made.partition(":")
    assert kind == "email"
    assert len(tail) == LENGTH
    assert is_pseudonym(made)


def test_the_same_value_under_another_type_or_master_key_differs() -> None:
    names = Pseudonyms(MASTER)
    email = names.of_identifier("email:ann@example.com")
    assert email.split(":")[1] != names.of_identifier("user_id:ann@example.com").split(":")[1]
    assert email != Pseudonyms(bytes(32)).of_identifier("email:ann@example.com")
