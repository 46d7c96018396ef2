"""`opencdp privacy` offline and through a running server."""

from __future__ import annotations

import json
import os

from tests.cli.conftest import cli, run


def test_export_erase_requests_and_retention(either, tmp_path):
    data = either.data_dir
    contacts = tmp_path / "crm.csv"
    contacts.write_text("customer_id,email,first_name\nc1,malee.s@siam-mail.co.th,Malee\n"
                        "c2,somsak.t@siam-mail.co.th,Somsak\n", encoding="utf-8")  # fmt: skip
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {
        "customer_id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
        "first_name": "trait:first_name"}}), encoding="utf-8")  # fmt: skip
    cli(data, "sources", "create", "crm")
    cli(data, "import", str(contacts), "--source", "crm", "--mapping", str(mapping))

    out = tmp_path / "malee.json"
    exported = cli(data, "privacy", "export", "malee.s@siam-mail.co.th", "-o", str(out))
    assert "completed" in exported.stderr
    document = json.loads(out.read_text())
    assert document["traits"]["first_name"]["value"] == "Malee"
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    printed = json.loads(cli(data, "privacy", "export", "c1").stdout)
    assert printed["records"][0]["record_id"] == "c1"

    refused = cli(data, "privacy", "erase", "c1", check=False)
    assert refused.returncode != 0, "asks for confirmation (and aborts without a terminal)"
    erased = json.loads(run(data, "privacy", "erase", "c1", "--yes", "--json").stdout)  # a process
    assert erased["status"] == "completed" and erased["receipt"]["tables"]["source_records"] == 1
    text = cli(data, "privacy", "request", erased["request_id"]).stdout
    assert "rows deleted" in text and "malee" not in text.lower()
    listed = json.loads(cli(data, "privacy", "requests", "--json").stdout)
    assert [r["kind"] for r in listed] == ["erasure", "access", "access"]
    assert "malee" not in json.dumps(listed).lower()
    missing = cli(data, "privacy", "request", "pr_nope", check=False)
    assert missing.returncode == 1 and "no privacy request" in missing.stderr

    cli(data, "import", str(contacts), "--source", "crm", "--mapping", str(mapping))
    status = json.loads(cli(data, "privacy", "suppression", "--json").stdout)
    assert status["suppressed_identifiers"] >= 3
    assert status["drops"][0]["dropped"] == 1, "the re-imported row of Malee was dropped"

    cli(data, "privacy", "retention", "set", "crm-2y", "--max-age", "2y", "--source", "crm")
    assert "crm-2y\t730 days" in cli(data, "privacy", "retention", "list").stdout
    applied = json.loads(cli(data, "privacy", "retention", "apply", "--json").stdout)
    assert applied[0]["source_records"] == 0
    bad = cli(data, "privacy", "retention", "set", "x", "--max-age", "later", check=False)
    assert bad.returncode == 1 and "max age" in bad.stderr
    cli(data, "privacy", "retention", "delete", "crm-2y")
    assert cli(data, "privacy", "retention", "list").stdout.strip() == "no retention policies"
