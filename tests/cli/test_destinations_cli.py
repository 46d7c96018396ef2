"""`opencdp destinations configure` and `audience`, offline and through a server."""

from __future__ import annotations

import json

from tests.cli.conftest import cli, run


def test_configure_and_choose_the_audience(either, tmp_path):
    data = either.data_dir
    (data / "exports").mkdir()
    cli(data, "segments", "create", "everyone", "--where", "country exists")
    cli(data, "segments", "create", "thai", "--where", 'country = "TH"')
    run(data, "destinations", "create", "crm", "--kind", "file", "--segment", "everyone",
        "--purpose", "analytics", "--set", "path=crm", "--set", "format=csv")  # fmt: skip
    out = cli(data, "destinations", "configure", "crm", "--set", "format=jsonl", "--json")
    shown = json.loads(out.stdout)
    assert shown["config"]["format"] == "jsonl"
    assert shown["config"]["path"] == str((data / "exports" / "crm").resolve())
    out = cli(data, "destinations", "audience", "crm", "--segment", "thai", "--every", "30")
    assert "every 30 minutes" in out.stdout
    refused = cli(data, "destinations", "configure", "crm", "--set", f"path={tmp_path}",
                  check=False)  # fmt: skip
    assert refused.returncode != 0 and "destination_folders" in refused.stderr
