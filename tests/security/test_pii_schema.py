"""What a workspace counts as personal: key variants, import mappings, computed traits."""

from __future__ import annotations

import pytest

from opencdp.config import load_settings
from opencdp.security.masking import mask_document
from opencdp.security.pii import (
    PiiSchema,
    WorkspacePii,
    looks_personal,
    mapping_personal_names,
    personal_filters,
    personal_reads,
)
from opencdp.workspace import Workspace

SCHEMA = PiiSchema.with_traits("")


@pytest.mark.parametrize("key", [
    "shipping_phone", "workEmail", "tel", "Tel No", "mobile_no", "recipient", "recipientName",
    "customer_name", "billing_address", "home_zip", "contact_email", "cellphone", "emailAddr",
    "mailing_address", "guardian_name",
])  # fmt: skip
def test_personal_key_variants_inside_a_persons_data(key):
    assert looks_personal(key)
    assert SCHEMA.is_pii(key, True) and not SCHEMA.is_pii(key, False)


@pytest.mark.parametrize("key", [
    "product_name", "page_name", "campaign", "email_opt_in", "phone_verified", "email_domain",
    "emailOpenRate", "hotel", "plan", "recipient_count", "order_id", "country", "name_length",
])  # fmt: skip
def test_facts_about_contacts_and_names_of_things_stay_visible(key):
    assert not SCHEMA.is_pii(key, True)


def test_mapping_kinds_declare_traits_personal_whatever_their_name():
    document = {"columns": {
        "電話番号": {"role": "trait", "name": "電話番号", "kind": "phone"},
        "tel": {"role": "trait", "name": "tel", "kind": "phone"},
        "memo": {"role": "trait", "name": "memo", "kind": "free_text"},
        "born": {"role": "trait", "name": "born", "kind": "birth_date"},
        "plan": "trait:plan", "mail": "identifier:email", "since": "trait:created_at",
        "subject": "event:subject", "when": "event:time",
    }, "event_name": "Ticket"}  # fmt: skip
    assert mapping_personal_names(document) == {"電話番号", "tel", "memo", "born", "subject"}
    assert mapping_personal_names({"columns": "not a mapping"}) == set()
    schema = SCHEMA.with_personal(mapping_personal_names(document))
    masked = mask_document({"traits": {"電話番号": "081-234-5678", "plan": "gold"},
                            "電話番号": "kept outside a person's data"}, schema)  # fmt: skip
    assert masked == {"traits": {"電話番号": "0***", "plan": "gold"},
                      "電話番号": "kept outside a person's data"}  # fmt: skip


def test_computed_traits_reading_personal_fields_and_filters_on_them():
    contact = {"aggregate": "last", "source": "records", "property": "last_name"}
    reach = {"aggregate": "distinct_list", "property": ["first_name", "nick"]}
    spend = {"aggregate": "sum", "event": "Order Completed", "property": "total",
             "where": [{"property": "email", "op": "=", "value": "a@b.co"},
                       {"property": "currency", "op": "=", "value": "THB"}]}  # fmt: skip
    assert personal_reads(contact, SCHEMA) == ["last_name"]
    assert personal_reads(reach, SCHEMA) == ["first_name"]
    assert personal_reads(spend, SCHEMA) == [] and personal_filters(spend, SCHEMA) == ["email"]
    assert personal_reads({"aggregate": "last", "property": "address.city"}, SCHEMA) == []
    assert personal_reads({"builtin": "rfm"}, SCHEMA) == []


def test_the_workspace_schema_follows_mappings_and_definitions(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    with Workspace(settings) as ws:
        pii = WorkspacePii(PiiSchema.with_traits("loyalty_card"), ws.read)
        before = pii.current()
        assert before.is_pii("loyalty_card", False) and not before.is_pii("contact", True)
        assert pii.current() is before  # nothing changed: the cached schema
        ws.write(lambda con: con.execute(
            "INSERT INTO computed_traits (name, definition) VALUES ('contact', ?),"
            " ('orders', ?)", ['{"aggregate": "last", "property": "last_name"}',
                               '{"aggregate": "count", "event": "Order Completed"}']))  # fmt: skip
        ws.write(lambda con: con.execute(
            "INSERT INTO imports (import_id, source_id, location, status, started_at, mapping)"
            " VALUES ('i1', 's', 'f.csv', 'completed', now(), ?)",
            ['{"columns": {"tel": {"role": "trait", "name": "tel", "kind": "phone"},'
             ' "kyaku": {"role": "trait", "name": "kyaku", "kind": "name"}}}']))  # fmt: skip
        after = pii.current()
        assert after.is_pii("contact", True) and after.is_pii("kyaku", True)
        assert not after.is_pii("orders", True) and not after.is_pii("contact", False)
        view = {"computed_traits": {"contact": "Jaidee", "orders": 3},
                "traits": {"kyaku": {"value": "Somchai", "rule": "most_recent"}}}
        assert mask_document(view, after) == {
            "computed_traits": {"contact": "J***", "orders": 3},
            "traits": {"kyaku": {"value": "S***", "rule": "most_recent"}}}  # fmt: skip
        ws.write(lambda con: con.execute("DELETE FROM computed_traits WHERE name = 'contact'"))
        assert not pii.current().is_pii("contact", True)
