"""Segments and computed traits on encrypted data: what sealed values can answer (exists,
equality by tag), what is refused with a hint at the derived fields, and that the same
definitions stay allowed with encryption off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.profiles.computed import InvalidComputedTrait, define
from opencdp.profiles.lookup import find_profile_id
from opencdp.segments.errors import InvalidSegment
from opencdp.workspace import Workspace
from tests.collecting import collect

HINT = ("email_domain", "birth_year", "city", "country")
REFUSED = [
    'email contains "ann"', 'email starts_with "ann"', 'identifier("email") contains "@mail"',
    'identifier("phone") starts_with "+66"', 'identifier("user_id") > "u"',
    "phone > 5", "birthday after 30d ago", "birthday within 30d",
    'birthday between date("1980-01-01") and date("1999-01-01")', 'address.street = "x"',
    'did("Order Completed" where email contains "ann")', 'sum("Order Completed", "email") > 1',
    'identifier("user_id") = "U-1" ignore_case',
]  # fmt: skip


def _admin(folder: Path, on: bool) -> Iterator[Admin]:
    settings = load_settings(env={}, data_dir=folder / "data", field_encryption=on)
    with Workspace(settings) as ws:
        admin = Admin(ws)
        admin.create_source("web", default_region="TH")
        collect(admin, [
            {"type": "identify", "userId": "u-1", "traits": {
                "email": "ann@mail.co.jp", "first_name": "Ann", "birthday": "1990-04-01"}},
            {"type": "track", "userId": "u-1", "event": "Order Completed",
             "properties": {"email": "ann@mail.co.jp", "total": 10}},
            {"type": "track", "userId": "u-1", "event": "Order Completed",
             "properties": {"email": "Ann@mail.co.jp ", "total": 5}},
            {"type": "track", "userId": "u-1", "event": "Order Completed",
             "properties": {"email": "ann@work.jp", "total": 7}},
            {"type": "identify", "userId": "u-2", "traits": {"email": "bob@other.jp"}},
        ])  # fmt: skip
        ws.profiles.catch_up()
        yield admin


@pytest.fixture(scope="module")
def on(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    yield from _admin(tmp_path_factory.mktemp("on"), True)


@pytest.fixture(scope="module")
def off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    yield from _admin(tmp_path_factory.mktemp("off"), False)


@pytest.mark.parametrize("where", REFUSED)
def test_tests_sealed_values_cannot_answer_are_refused_with_a_hint(on, off, where):
    with pytest.raises(InvalidSegment) as refused:
        on.preview_segment(where)
    assert all(name in str(refused.value) for name in HINT), str(refused.value)
    with pytest.raises(InvalidSegment):
        on.create_segment("nope", where)
    off.preview_segment(where)  # the same definition is fine on plaintext


def test_equality_and_existence_on_sealed_values_still_work(on):
    ann = on.ws.read(lambda con: find_profile_id(con, "u-1"))
    for where in ('email = "ann@mail.co.jp"', 'email in ["x@y.jp", "ann@mail.co.jp"]',
                  "first_name exists", 'identifier("email") = "ANN@mail.co.jp"',
                  'did("Order Completed" where email = "ann@work.jp")',
                  'count("Order Completed" where email != "ann@work.jp") = 2',
                  'email_domain = "mail.co.jp"', "birth_year = 1990"):  # fmt: skip
        assert on.preview_segment(where)["sample"] == [ann], where


def test_computed_traits_over_sealed_values(on, off):
    for aggregate in ("sum", "max", "avg"):
        definition = {"aggregate": aggregate, "property": "email"}
        with pytest.raises(InvalidComputedTrait, match="stored encrypted"):
            on.ws.write(lambda con, d=definition, a=aggregate: define(con, f"e_{a}", d))
        off.ws.write(lambda con, d=definition, a=aggregate: define(con, f"e_{a}", d))
    ordered = {"aggregate": "count", "where": [{"property": "email", "op": ">", "value": "a"}]}
    with pytest.raises(InvalidComputedTrait, match="only =, != and in"):
        on.ws.write(lambda con: define(con, "ordered", ordered))
    by_tag = {
        "favourite_email": {"aggregate": "most_frequent", "property": "email"},
        "emails": {"aggregate": "distinct_count", "property": "email"},
        "first_email": {"aggregate": "first", "property": "email"},
        "all_emails": {"aggregate": "distinct_list", "property": "email"},
        "work_orders": {"aggregate": "count",
                        "where": [{"property": "email", "op": "in", "value": ["ANN@work.jp"]}]},
    }  # fmt: skip
    for admin in (on, off):
        for name, definition in by_tag.items():
            admin.ws.write(lambda con, n=name, d=definition: define(con, n, d))
        admin.ws.profiles.rederive()
    computed = on.get_profile("u-1")["computed_traits"]
    # tags fold case and spaces: "Ann@mail.co.jp " and "ann@mail.co.jp" are one value,
    # stated twice (shown as its latest spelling); on plaintext all three differ and the
    # latest wins the tie
    assert computed["favourite_email"] == "Ann@mail.co.jp "
    assert computed["emails"] == 2 and computed["work_orders"] == 1
    assert computed["first_email"] == "ann@mail.co.jp"
    assert len(computed["all_emails"]) == 2 and "ann@work.jp" in computed["all_emails"]
    plain = off.get_profile("u-1")["computed_traits"]
    assert plain["favourite_email"] == "ann@work.jp" and plain["emails"] == 3
    assert plain["first_email"] == "ann@mail.co.jp" and plain["work_orders"] == 0
    # a computed trait copying sealed tokens is compared by the tags of its source property
    ann = on.ws.read(lambda con: find_profile_id(con, "u-1"))
    for where in ('favourite_email = "ann@mail.co.jp"', 'first_email in ["ANN@mail.co.jp"]',
                  "emails = 2"):
        assert on.preview_segment(where)["sample"] == [ann], where
    with pytest.raises(InvalidSegment, match="email_domain"):
        on.preview_segment('favourite_email contains "ann"')


def test_an_empty_literal_is_a_value_like_any_other(on, off):
    """`!= ""` holds for every identifier present; `= ""` for none (no forms to bind)."""
    for admin in (on, off):
        assert admin.preview_segment('identifier("email") != ""')["count"] == 2
        assert admin.preview_segment('identifier("email") = ""')["count"] == 0
        assert admin.preview_segment('identifier("email") in [""]')["count"] == 0
