"""clean_traits(): nothing a client sent is lost — a changed or removed trait keeps its original."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.collect.trait_hygiene import (
    TRAIT_KINDS,
    clean_message_traits,
    clean_traits,
    options_for,
    region_of,
)

trait_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["test@test.com", "N/A", "0000000000", "  Ann@Mail.CO.JP", "081-234-5678",
                     "1990-02-30", "2199-01-01", "ｔａｒｏ", "山田 太郎", "สมชาย ใจดี"]),
    st.integers(), st.none(), st.booleans(),
)  # fmt: skip
trait_dicts = st.dictionaries(
    st.sampled_from([*TRAIT_KINDS, "plan", "company"]), trait_values, max_size=8
)


@settings(max_examples=300, deadline=None)
@given(traits=trait_dicts, region=st.sampled_from([None, "TH", "JP", "US"]))
def test_every_change_is_recorded_with_its_original(traits, region):
    cleaned, fixes = clean_traits(traits, options_for(region))
    for key, value in traits.items():
        fix = fixes.get(f"traits.{key}")
        if key not in cleaned:
            assert fix is not None and fix["original"] == value and fix["problem"]
        elif cleaned[key] != value:
            assert fix is not None and fix["original"] == value
            assert fix["cleaned"] == cleaned[key]
    assert set(cleaned) <= set(traits)
    assert all(key.removeprefix("traits.") in traits for key in fixes)
    # Cleaning is idempotent: a cleaned value is already clean.
    again, more = clean_traits(cleaned, options_for(region))
    assert again == cleaned
    assert all("problem" not in fix for fix in more.values())


def test_the_phone_region_falls_back_to_the_locale():
    assert region_of({"locale": "ja-JP"}, None) == "JP"
    assert region_of({"locale": "th_TH"}, "JP") == "JP"  # the source's own region wins
    assert region_of({"locale": "en"}, None) is None
    _, context, fixes = clean_message_traits(
        "track", None, {"locale": "th-TH", "traits": {"phone": "081 234 5678"}}, None
    )
    assert context["traits"]["phone"] == "+66812345678"
    assert fixes["context.traits.phone"]["original"] == "081 234 5678"
