"""Without pii:read, segments may test personal fields only for existence."""

from __future__ import annotations

import pytest

from opencdp.security.pii import PiiSchema
from opencdp.segments import parse
from opencdp.segments.pii_conditions import PersonalValueCondition, refuse_personal_values

SCHEMA = PiiSchema.with_traits("loyalty_card").with_personal(["contact"])


@pytest.mark.parametrize(("text", "path"), [
    ('email starts_with "s"', "field"),
    ('phone = "+66812345678"', "field"),
    ('country = "TH" and first_name in ["Somchai", "Anan"]', "args[1].field"),
    ('identifier("phone") = "+66812345678"', "field"),
    ('identifier("email") ends_with "@corpmail.co.th"', "field"),
    ('birthday before 18y ago', "field"),
    ('birthday between date("1988-01-01") and date("1988-12-31")', "field"),
    ('address.street contains "Rama"', "field"),
    ('not last_name != "Jaidee"', "arg.field"),
    ('contact = "Jaidee"', "field"),  # a computed trait that copies a last name
    ('loyalty_card = "LC-1"', "field"),  # configured in pii_traits
    ('trait("shipping_phone") contains "81"', "field"),
    ('did("Order Completed" where recipient = "Somchai")', "where.field"),
    ('count("Order Completed" where email ends_with ".th") >= 1', "where.field"),
    ('max("Order Completed", "zip") > 10000', "property"),
    ('did("Signed Up") then did("Order" where phone contains "81")', "steps[1].where.field"),
])  # fmt: skip
def test_value_tests_on_personal_fields_are_refused(text, path):
    with pytest.raises(PersonalValueCondition) as caught:
        refuse_personal_values(parse(text), SCHEMA)
    assert caught.value.path == path
    assert "email_domain" in str(caught.value) and "exists" in str(caught.value)


@pytest.mark.parametrize("text", [
    "email exists", "not phone exists", 'identifier("email") exists',
    'email_domain = "corpmail.co.th"', 'email_domain in ["a.co", "b.co"]',
    'address.city = "Bangkok"', 'country = "TH" and plan = "gold"',
    'identifier("user_id") = "u-42"', 'did("Order Completed" where product_name = "Tote")',
    'sum("Order Completed", "total") > 100', 'prediction("churn") > 0.5', 'consent("email")',
    'email_opt_in = true',
])  # fmt: skip
def test_existence_derived_fields_and_other_fields_stay_open(text):
    refuse_personal_values(parse(text), SCHEMA)
