"""`opencdp import` and `opencdp mapping infer`, offline and through the server's upload API."""

from __future__ import annotations

import json

from tests.cli.conftest import cli, run

CSV = "Customer No,E-mail,ชื่อ,Birthday\nC1,A@x.com,สมชาย,1980-01-02\nC2,b@y.org,ゆき,\n,,Malee,\n"


def test_infer_then_import_then_reimport(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    data = tmp_path / "crm.csv"
    data.write_bytes(CSV.encode("utf-8"))
    mapping = tmp_path / "crm.yaml"
    inferred = cli(either.data_dir, "mapping", "infer", str(data), "-o", str(mapping))
    assert "identifier:email" in mapping.read_text(encoding="utf-8")
    assert "profile C1" in inferred.stderr, "the preview shows cleaned records"
    out = run(either.data_dir, "import", str(data), "--source", "crm", "--mapping", str(mapping),
              "--json")  # fmt: skip
    report = json.loads(out.stdout)
    assert (report["rows_read"], report["records_stored"], report["quarantined"]) == (3, 2, 1)
    assert report["reasons"] == {"no usable identifier": 1}
    again = json.loads(cli(either.data_dir, "import", str(data), "--source", "crm", "--mapping",
                           str(mapping), "--json").stdout)  # fmt: skip
    assert (again["records_stored"], again["unchanged"]) == (0, 2)
    runs = json.loads(cli(either.data_dir, "imports", "list", "--source", "crm", "--json").stdout)
    assert [r["status"] for r in runs] == ["completed", "completed"]


def test_import_without_mapping_needs_confirmation(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    data = tmp_path / "crm.csv"
    data.write_bytes(CSV.encode("utf-8"))
    refused = cli(either.data_dir, "import", str(data), "--source", "crm", check=False)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    accepted = cli(either.data_dir, "import", str(data), "--source", "crm", "--yes", "--json")
    assert json.loads(accepted.stdout)["records_stored"] == 2


def test_import_errors_exit_non_zero(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    data = tmp_path / "crm.csv"
    data.write_bytes(CSV.encode("utf-8"))
    bad_map = tmp_path / "bad.yaml"
    bad_map.write_text("columns:\n  Phone: identifier:phone\n", encoding="utf-8")
    r = cli(either.data_dir, "import", str(data), "--source", "crm", "--mapping", str(bad_map),
            check=False)  # fmt: skip
    assert r.returncode == 1 and "not in the file: Phone" in r.stderr
    r = run(either.data_dir, "import", str(data), "--source", "nope", "--mapping", str(bad_map),
            check=False)  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_quality_report_after_import(either, tmp_path):
    cli(either.data_dir, "sources", "create", "crm")
    data = tmp_path / "crm.csv"
    data.write_bytes(CSV.encode("utf-8"))
    cli(either.data_dir, "import", str(data), "--source", "crm", "--yes")
    report = json.loads(run(either.data_dir, "quality", "--source", "crm", "--json").stdout)
    (source,) = report["sources"]
    assert source["name"] == "crm" and source["records"] == 2
    fields = {f["field"]: f for f in source["fields"]}
    assert fields["birth_date"]["completeness"] == 0.5  # C2 has no birthday
    assert source["quarantine"]["pending"] == 1
    text = cli(either.data_dir, "quality").stdout
    assert "crm" in text and "a@x.com" not in text, "the report masks personal data"
