"""Events on their profile as of a cut-off: merges known only later are undone (finding M9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from opencdp.admin import Admin
from opencdp.predict.attribution import EVENTS, current_profiles, events_as_of
from opencdp.predict.features import features_at, outcomes
from tests.collecting import collect

CUT = datetime(2026, 3, 1, tzinfo=UTC)


def at(days: float) -> str:
    return (CUT + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def view(who: dict[str, str], days: float) -> dict[str, object]:
    """A view labelled with its sender in a property (ids are pseudonyms when encrypted)."""
    return {"type": "track", "event": "Product Viewed", "timestamp": at(days), **who,
            "properties": {"who": next(iter(who.values()))}}  # fmt: skip


def login(user: str, anonymous: str, days: float) -> dict[str, object]:
    return {"type": "identify", "userId": user, "anonymousId": anonymous, "timestamp": at(days),
            "traits": {"who": user}}  # fmt: skip


def placed(admin: Admin, cut: datetime) -> dict[str, set[str]]:
    """Profile as of `cut` → the senders of its events."""

    def read(con):
        relation = events_as_of(con, cut)
        return con.execute(f"SELECT profile_id, coalesce(properties ->> 'who', traits ->> 'who')"
                           f" FROM {relation}").fetchall()  # fmt: skip

    out: dict[str, set[str]] = {}
    for profile, who in admin.ws.read(read):
        out.setdefault(profile, set()).add(who)
    return out


def test_a_later_login_is_undone_and_an_earlier_one_kept(workspace):
    admin = Admin(workspace)
    admin.create_source("web")
    collect(admin, [
        view({"userId": "ann"}, -30),
        view({"anonymousId": "visitor"}, -20),
        # the visitor's phone is seen before the cut-off, then a browser on that phone
        {**view({"anonymousId": "visitor"}, -15), "context": {"device": {"id": "phone-7"}}},
        {**view({"anonymousId": "tab"}, -10), "context": {"device": {"id": "phone-7"}}},
        view({"anonymousId": "early"}, -25),
        view({"userId": "bob"}, -24),
    ])  # fmt: skip
    workspace.profiles.catch_up()
    collect(admin, [
        # a login after the cut-off merges the visitor into ann; one before merges early/bob
        login("ann", "visitor", 5),
        login("bob", "early", -5),
        view({"userId": "ann"}, 7),
    ])  # fmt: skip
    workspace.profiles.catch_up()
    today = placed(admin, CUT + timedelta(days=30))
    assert sorted(map(sorted, today.values())) == [["ann", "tab", "visitor"], ["bob", "early"]]

    as_of = placed(admin, CUT)
    assert sorted(map(sorted, as_of.values())) == [
        ["ann"], ["bob", "early"], ["tab", "visitor"]]  # fmt: skip
    # the other browser's event (its identifiers joined the visitor's profile, created none)
    # went with the visitor, not with the customer who absorbed the visitor later
    visitor = next(p for p, ids in as_of.items() if "visitor" in ids)
    ann = next(p for p, ids in as_of.items() if "ann" in ids)
    assert visitor != ann

    # features at the cut-off: two rows; the outcome after it is today's profile's, for both
    features = workspace.read(lambda con: features_at(con, CUT, traits=False))
    assert {visitor, ann} <= set(features.profile_ids)
    ids = np.array([visitor, ann], dtype=object)
    assert list(workspace.read(lambda con: current_profiles(con, ids))) == [ann, ann]
    happened = workspace.read(lambda con: outcomes(
        con, ids, start=CUT, end=CUT + timedelta(days=30), event="Product Viewed"))  # fmt: skip
    assert happened.tolist() == [1.0, 1.0]
    # a cut-off after every merge reads the profile events as they are
    assert workspace.read(lambda con: events_as_of(con, CUT + timedelta(days=30))) == EVENTS
