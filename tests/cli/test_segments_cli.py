"""`opencdp segments` offline and through a running server."""

from __future__ import annotations

import json

from tests.cli.conftest import cli, run


def test_create_count_show_members(either, tmp_path):
    data = either.data_dir
    contacts = tmp_path / "crm.csv"
    rows = [f"c{i},u{i}@x.com,{'TH' if i % 3 else 'JP'}" for i in range(10)]
    contacts.write_text("customer_id,email,country\n" + "\n".join(rows), encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {
        "customer_id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
        "country": "trait:country"}}), encoding="utf-8")  # fmt: skip
    cli(data, "sources", "create", "crm")
    cli(data, "import", str(contacts), "--source", "crm", "--mapping", str(mapping))
    out = run(data, "segments", "create", "thai", "--where", 'country = "TH"', check=False)
    assert out.returncode == 0, out.stderr
    assert "thai: 6 members" in out.stdout
    counted = json.loads(cli(data, "segments", "count", "thai", "--json").stdout)
    assert counted["count"] == 6 and counted["segment"] == "thai"
    members = json.loads(cli(data, "segments", "members", "thai", "--json").stdout)
    assert sorted(m["email"] for m in members["members"]) == sorted(
        f"u{i}@x.com" for i in range(10) if i % 3)
    shown = json.loads(cli(data, "segments", "show", "thai", "--json").stdout)
    assert "spark" in shown["sql"] and shown["text"] == 'country = "TH"'
    listed = cli(data, "segments", "list").stdout
    assert listed.startswith("thai\t6")
    bad = cli(data, "segments", "create", "bad", "--where", "country ==", check=False)
    assert bad.returncode == 1 and "Error" in bad.stderr
    missing = cli(data, "segments", "count", "nope", check=False)
    assert missing.returncode == 1 and "no segment named 'nope'" in missing.stderr


def test_computed_traits_define_list_and_use_in_a_segment(either, tmp_path):
    data = either.data_dir
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,email,total\no1,a@x.com,30\no2,a@x.com,80\no3,b@x.com,20\n",
                      encoding="utf-8")  # fmt: skip
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {
        "order_id": "record_id", "email": "identifier:email", "total": "trait:total"}}),
        encoding="utf-8")  # fmt: skip
    cli(data, "sources", "create", "shop")
    cli(data, "import", str(orders), "--source", "shop", "--mapping", str(mapping))
    definition = '{"aggregate": "sum", "source": "records", "property": "total"}'
    out = run(data, "traits", "define", "spent", definition, check=False)
    assert out.returncode == 0, out.stderr
    listed = json.loads(cli(data, "traits", "list", "--json").stdout)
    names = {t["name"]: t["builtin"] for t in listed}
    assert names["spent"] is False and names["rfm"] is True
    made = cli(data, "segments", "create", "big", "--where", "spent > 100", "--json")
    assert json.loads(made.stdout)["member_count"] == 1
    bad = cli(data, "traits", "define", "x", '{"aggregate": "median"}', check=False)
    assert bad.returncode == 1 and "aggregate" in bad.stderr
