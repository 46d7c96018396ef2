"""Identity on a real workspace: events and imported records resolve into profiles."""

from __future__ import annotations

import json

import pytest

from opencdp.admin import Admin, NotFound
from tests.collecting import collect

CRM_MAPPING = {
    "columns": {
        "customer_id": ["identifier:customer_id", "record_id"],
        "email": "identifier:email",
        "phone": "identifier:phone",
        "first_name": "trait:first_name",
        "city": "trait:city",
    },
    "default_region": "TH",
}
CRM = (
    "customer_id,email,phone,first_name,city\n"
    "c1, Somchai@Siam-Mail.COM ,081 234 5678,Somchai,Bangkok\n"
    "c2,yuki@nihon-mail.jp,,Yuki,Chiang Mai\n"
    "c3,test@test.com,0000000000,Placeholder,Nowhere\n"
    "c4,test@test.com,0000000000,Another,Nowhere\n"
)


@pytest.fixture
def admin(workspace):
    admin = Admin(workspace)
    admin.create_source("crm")
    admin.create_source("web", default_region="TH")
    return admin


def test_web_visitor_and_crm_contact_become_one_profile(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    report = admin.import_file("crm", path, CRM_MAPPING)
    assert report["records_stored"] == 4 and report["identity"]["observations"] == 4
    collect(admin, [
        {"type": "track", "anonymousId": "anon-1", "event": "Product Viewed", "messageId": "e1"},
        {"type": "identify", "anonymousId": "anon-1", "userId": "u-1", "messageId": "e2",
         "traits": {"email": "SOMCHAI@siam-mail.com", "plan": "gold"}},
        {"type": "track", "userId": "u-1", "event": "Order Completed", "messageId": "e3",
         "properties": {"revenue": 42}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    profile = admin.get_profile("phone:+66812345678")
    kinds = {(i["type"], i["value"]) for i in profile["identifiers"]}
    assert {("customer_id", "c1"), ("email", "somchai@siam-mail.com"), ("phone", "+66812345678"),
            ("user_id", "u-1"), ("anonymous_id", "anon-1")} <= kinds  # fmt: skip
    assert admin.get_profile("anon-1")["profile_id"] == profile["profile_id"]
    assert profile["traits"]["first_name"]["value"] == "Somchai"
    assert profile["traits"]["first_name"]["origin"] == "record"
    assert profile["traits"]["plan"] == {**profile["traits"]["plan"], "value": "gold",
                                         "origin": "event", "origin_id": "e2"}  # fmt: skip
    names = [item["event"] or item["type"] for item in profile["timeline"]["items"]]
    assert names == ["Order Completed", "identify", "Product Viewed", "record"]
    (merge,) = profile["merges"]
    assert merge["identifier"]["type"] in {"email", "anonymous_id"}
    assert merge["origin"].startswith("event:")
    page = admin.get_profile("u-1", limit=2)
    assert len(page["timeline"]["items"]) == 2 and page["timeline"]["next_before"] is not None
    rest = admin.get_profile("u-1", limit=10, before=page["timeline"]["next_before"])
    assert [i["seq"] for i in rest["timeline"]["items"]] == [
        i["seq"] for i in profile["timeline"]["items"][2:]
    ]


def test_placeholders_glue_nobody_and_clusters_list_every_record(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    clusters = {row["record_id"]: row["profile_id"] for row in admin.identity_clusters("crm")}
    assert set(clusters) == {"c1", "c2", "c3", "c4"}
    assert len(set(clusters.values())) == 4, "test@test.com and 0000000000 merged records"
    with pytest.raises(NotFound):
        admin.get_profile("email:test@test.com")


def test_rebuild_gives_the_tables_the_incremental_path_wrote(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    for i in range(5):
        collect(admin, [{"type": "identify", "userId": f"u{i}", "anonymousId": f"a{i % 3}",
                         "messageId": f"m{i}", "traits": {"email": "yuki@nihon-mail.jp"}}])
        admin.ws.profiles.catch_up()  # fmt: skip

    def tables(con):
        return [
            con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("identity_links", "identity_merges", "identity_violations")
        ]

    incremental = admin.ws.read(tables)
    result = admin.rebuild_identity()
    assert admin.ws.read(tables) == incremental
    assert result["profiles"] == len({row[2] for row in incremental[0]})
    assert result["violations"] > 0, "the second user id on a profile is refused, not merged"


def test_search_finds_profiles_by_fragment(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    found = admin.search_profiles("nihon")
    assert [json.dumps(f["matches"]) for f in found] == ['["email: yuki@nihon-mail.jp"]']
    # a whole name: with field encryption on, names are sealed and found by equality tag
    # (a fragment such as "somch" is found only with it off: plan R2)
    assert len(admin.search_profiles("Somchai")) == 1
    assert len(admin.search_profiles("somchai")) == 1


def test_unmerge_splits_the_profile_and_a_rebuild_keeps_it_split(admin, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    admin.import_file("crm", path, CRM_MAPPING)
    collect(admin, [
        {"type": "track", "userId": "u-7", "event": "Order Completed", "messageId": "o1"},
        {"type": "identify", "userId": "u-7", "messageId": "wrong-link",
         "traits": {"email": "yuki@nihon-mail.jp"}},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    merged = admin.get_profile("u-7")
    (merge,) = merged["merges"]
    seq = merge["origin"].removeprefix("event:")
    assert admin.ws.read(lambda con: con.execute(
        "SELECT message_id FROM events WHERE seq = ?", [int(seq)]).fetchall()) == [("wrong-link",)]
    result = admin.unmerge("u-7", merge["origin"])
    assert len(result["profiles"]) == 2
    crm_profile = admin.get_profile("customer_id:c2")["profile_id"]
    assert admin.get_profile("u-7")["profile_id"] != crm_profile
    admin.rebuild_identity()
    assert admin.get_profile("u-7")["merges"] == []
    assert "email" not in {i["type"] for i in admin.get_profile("u-7")["identifiers"]}
    with pytest.raises(NotFound):
        admin.unmerge("u-7", "event:999999")


def test_a_refusal_is_recorded_once_however_often_it_repeats(admin):
    def kiosk_visits(round_):
        collect(admin, [{"type": "track", "userId": f"k{i}", "event": "Checked In",
                         "messageId": f"r{round_}-{i}", "context": {"device": {"id": "kiosk"}}}
                        for i in range(30)])  # fmt: skip
        admin.ws.profiles.catch_up()
        return admin.ws.read(
            lambda con: con.execute("SELECT count(*) FROM identity_violations").fetchall()[0][0]
        )

    assert kiosk_visits(1) > 0
    # The second round refuses the now-shared device for the users first refused for a
    # conflict (a different rule); from then on nothing new is learnt.
    second = kiosk_visits(2)
    assert kiosk_visits(3) == second, "repeated refusals must not grow the table"
    incremental = admin.ws.read(
        lambda con: con.execute("SELECT * FROM identity_violations ORDER BY ALL").fetchall()
    )
    admin.rebuild_identity()
    assert admin.ws.read(
        lambda con: con.execute("SELECT * FROM identity_violations ORDER BY ALL").fetchall()
    ) == incremental


def test_merge_history_follows_profiles_absorbed_by_absorbed_profiles(admin):
    collect(admin, [
        {"type": "page", "anonymousId": f"chain-{i}", "messageId": f"p{i}"} for i in (1, 2, 3)
    ] + [
        {"type": "alias", "anonymousId": "chain-2", "previousId": "chain-3",
         "messageId": "link-2-3"},
        {"type": "alias", "anonymousId": "chain-1", "previousId": "chain-2",
         "messageId": "link-1-2"},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    merges = admin.get_profile("chain-3")["merges"]
    assert len(merges) == 2
    assert merges[0]["survivor"] == merges[1]["absorbed"], "the second merge took in the first's"
    assert merges[0]["seq"] < merges[1]["seq"]
