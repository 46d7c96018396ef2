"""`opencdp profiles` and `opencdp identity`, offline and through a running server."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import cli, run

CSV = (
    "id,email,phone,name\n"
    "A1,ann@mail.co.jp,+66812345678,Ann\nA2,ann@mail.co.jp,,Ann B\nB1,bob@mail.co.jp,,Bob\n"
)
MAPPING = {"columns": {"id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
                       "phone": "identifier:phone", "name": "trait:name"}}  # fmt: skip


def test_imported_records_resolve_and_can_be_looked_up(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    (tmp_path / "crm.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "map.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    cli(either.data_dir, "import", str(tmp_path / "crm.csv"), "--source", "crm",
        "--mapping", str(tmp_path / "map.json"))  # fmt: skip
    out = run(either.data_dir, "identity", "clusters", "--source", "crm", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["record_id"] for r in rows] == ["A1", "A2", "B1"]
    by_id = {r["record_id"]: r["profile_id"] for r in rows}
    assert by_id["A1"] == by_id["A2"] != by_id["B1"], "the shared e-mail makes A1 and A2 one"
    profile = json.loads(run(either.data_dir, "profiles", "get", "+66812345678", "--json").stdout)
    assert profile["profile_id"] == by_id["A1"]
    assert {i["value"] for i in profile["identifiers"]} >= {"A1", "A2", "ann@mail.co.jp"}
    found = json.loads(cli(either.data_dir, "profiles", "search", "bob", "--json").stdout)
    assert [f["profile_id"] for f in found] == [by_id["B1"]]
    rebuilt = json.loads(cli(either.data_dir, "identity", "rebuild", "--json").stdout)
    # A2 joins A1's profile through the e-mail: a new identifier joining, not two profiles
    # merging, so no merge is recorded.
    assert (rebuilt["profiles"], rebuilt["merges"], rebuilt["observations"]) == (2, 0, 3)
    missing = cli(either.data_dir, "profiles", "get", "email:nobody@mail.co.jp", check=False)
    assert missing.returncode == 1 and "no profile" in missing.stderr


def test_matching_and_the_review_queue_from_the_cli(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    (tmp_path / "crm.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "map.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    cli(either.data_dir, "import", str(tmp_path / "crm.csv"), "--source", "crm",
        "--mapping", str(tmp_path / "map.json"))  # fmt: skip
    result = json.loads(cli(either.data_dir, "identity", "resolve", "--json").stdout)
    assert result["records"] == 3 and result["candidate_pairs"] >= 1, "A1 and A2 share an e-mail"
    queue = json.loads(cli(either.data_dir, "identity", "review", "--json").stdout)
    assert isinstance(queue, list) and len(queue) == result["queued"]
    missing = cli(either.data_dir, "identity", "accept", "crm:nope", "crm:none", check=False)
    assert missing.returncode == 1 and "no pending match" in missing.stderr
