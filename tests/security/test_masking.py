"""PII masking: personal values hidden, structure and non-personal values kept."""

from __future__ import annotations

import re

import orjson
from hypothesis import given
from hypothesis import strategies as st

from opencdp.security.masking import mask_document, mask_value
from opencdp.security.pii import PiiSchema, normalize_field

SCHEMA = PiiSchema.with_traits("loyalty_card, Member No")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{2,}@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def test_profile_view_masks_values_and_keeps_lineage():
    view = {
        "profile_id": "prof_1",
        "identifiers": [{"type": "email", "value": "jane@mail.co.th"},
                        {"type": "user_id", "value": "u-1"}],
        "traits": {
            "email": {"value": "jane@mail.co.th", "rule": "most_recent", "source_id": "src_1"},
            "name": {"value": "Jane Doe", "rule": "most_recent", "source_id": "src_1"},
            "address": {"value": {"street": "1 Sukhumvit", "city": "Bangkok"}, "rule": "x"},
            "plan": {"value": "gold", "rule": "most_recent", "source_id": "src_1"},
            "loyalty_card": {"value": "LC-99", "rule": "most_recent", "source_id": "src_1"},
        },
    }  # fmt: skip
    masked = mask_document(view, SCHEMA)
    assert masked["identifiers"] == [{"type": "email", "value": "j***@mail.co.th"},
                                     {"type": "user_id", "value": "u-1"}]  # fmt: skip
    traits = masked["traits"]
    assert traits["email"] == {"value": "j***@mail.co.th", "rule": "most_recent",
                               "source_id": "src_1"}  # fmt: skip
    assert traits["name"]["value"] == "J***"  # `name` inside traits is a person's name
    assert traits["address"]["value"] == {"street": "1***", "city": "Bangkok"}  # city is kept
    assert traits["plan"]["value"] == "gold"
    assert traits["loyalty_card"]["value"] == "L***"  # configured PII trait


def test_names_of_things_stay_and_free_text_emails_are_masked():
    segment = {"name": "gold", "text": 'email = "jane@mail.co.th" and plan = "gold"'}
    assert mask_document(segment, SCHEMA) == {
        "name": "gold", "text": 'email = "j***@mail.co.th" and plan = "gold"'}  # fmt: skip
    event = {"type": "page", "name": "Home", "properties": {"name": "Promo"},
             "context": {"ip": "203.0.113.9", "locale": "th-TH"}}  # fmt: skip
    masked = mask_document(event, SCHEMA)
    assert masked["name"] == "Home" and masked["properties"]["name"] == "P***"
    assert masked["context"] == {"ip": "2***", "locale": "th-TH"}


def test_json_payloads_fixes_and_search_hits():
    quarantined = {"payload": '{"traits": {"email": "a.b@x.io", "phone": "+66812345678"}}'}
    payload = orjson.loads(mask_document(quarantined, SCHEMA)["payload"])
    assert payload == {"traits": {"email": "a***@x.io", "phone": "+***"}}
    fixes = {"fixes": {"traits.phone": {"original": "081 234 5678", "cleaned": "+66812345678",
                                        "problem": "phone.region"}}}  # fmt: skip
    assert mask_document(fixes, SCHEMA)["fixes"]["traits.phone"] == {
        "original": "0***", "cleaned": "+***", "problem": "phone.region"}  # fmt: skip
    hits = [{"profile_id": "p", "matches": ["name: Jane Doe", "user_id: u-1", "phone: +6681"]}]
    assert mask_document(hits, SCHEMA)[0]["matches"] == ["name: J***", "user_id: u-1",
                                                         "phone: +***"]  # fmt: skip


def test_keys_normalise():
    assert normalize_field("traits.firstName") == "firstname"
    assert normalize_field("First Name") == "firstname" == normalize_field("first_name")
    assert SCHEMA.is_pii("Member No", False) and SCHEMA.is_pii("memberNo", False)
    assert not SCHEMA.is_pii("name", False) and SCHEMA.is_pii("name", True)


def test_mask_value_shapes():
    assert mask_value("Jo") == "***" and mask_value(1990) == "***" and mask_value(None) is None
    assert mask_value("") == "" and mask_value(["Ann", "Bob Bee"]) == ["***", "B***"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12)
    | st.emails(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["email", "name", "plan", "traits", "value", "type", "phone", "x"]),
        inner,
        max_size=4,
    ),
    max_leaves=25,
)


@given(json_values)
def test_no_email_address_survives_masking(document):
    masked = orjson.dumps(mask_document(document, SCHEMA)).decode()
    assert not EMAIL.search(masked)


@given(json_values)
def test_masking_is_idempotent_and_keeps_the_shape(document):
    once = mask_document(document, SCHEMA)
    assert mask_document(once, SCHEMA) == once
    if isinstance(document, dict):
        assert set(once) == set(document)
    if isinstance(document, list):
        assert len(once) == len(document)


def test_consent_subjects_and_notes_are_masked():
    consents = {
        "consents": [{"purpose": "email", "granted": True, "subject": "phone:+66812345678",
                      "note": "called from 0812345678"}],
        "history": [{"subject": "email:somchai.j@corpmail.co.th", "purpose": "email"},
                    {"subject": "user_id:u-42", "purpose": "email"}],
        "statement": {"subject_type": "phone", "subject_value": "+66812345678",
                      "identifier_type": "user_id", "identifier_value": "u-42"},
    }  # fmt: skip
    masked = mask_document(consents, SCHEMA)
    assert masked["consents"][0]["subject"] == "phone:+***"
    assert masked["consents"][0]["note"] == "c***"
    assert [h["subject"] for h in masked["history"]] == ["email:s***@corpmail.co.th",
                                                         "user_id:u-42"]  # fmt: skip
    assert masked["statement"] == {"subject_type": "phone", "subject_value": "+***",
                                   "identifier_type": "user_id", "identifier_value": "u-42"}
    text = orjson.dumps(masked).decode()
    assert "812345678" not in text and "somchai" not in text
    assert mask_document(masked, SCHEMA) == masked


def test_personal_variants_in_event_properties_are_masked():
    event = {"properties": {"shipping_phone": "+66 81 234 5678", "recipient": "Somchai J.",
                            "product_name": "Tote", "email_opt_in": True}}  # fmt: skip
    assert mask_document(event, SCHEMA)["properties"] == {
        "shipping_phone": "+***", "recipient": "S***", "product_name": "Tote",
        "email_opt_in": True}  # fmt: skip
