"""Where destinations may send data: allowed folders and public hosts only, unless allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencdp.activate.egress import Egress, EgressRefused
from opencdp.config import load_settings

GLOBAL = "93.184.216.34"


def strict(tmp_path: Path, **settings: str) -> Egress:
    names = {"hooks.example.com": [GLOBAL], "sneaky.example.com": [GLOBAL, "10.1.2.3"],
             "internal.example.com": ["192.168.1.20"]}  # fmt: skip

    def resolve(host: str, port: int | None) -> list[str]:
        if host in names:
            return names[host]
        if host.replace(".", "").isdigit() or ":" in host:
            return [host]
        raise OSError("no such host")

    egress = Egress.from_settings(load_settings(env={}, data_dir=tmp_path / "data", **settings))
    return Egress(egress.folders, egress.host_names, egress.networks, egress.any_host, resolve)


def test_files_go_only_under_the_exports_folder_by_default(tmp_path):
    egress = strict(tmp_path)
    exports = (tmp_path / "data" / "exports").resolve()
    assert egress.folders == (exports,)
    placed = egress.admit("file", {"path": "crm", "format": "csv"})
    assert placed["path"] == str(exports / "crm")  # relative: inside the first folder
    assert egress.admit("email_list", {"path": str(exports / "a" / "b")})["path"] == str(
        exports / "a" / "b")  # fmt: skip
    for path in ("/tmp/loot", str(exports / ".." / "loot"), "../../etc", "/"):
        with pytest.raises(EgressRefused, match="destination_folders"):
            egress.admit("file", {"path": path, "format": "csv"})


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    egress = strict(tmp_path)
    exports = tmp_path / "data" / "exports"
    exports.mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (exports / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(EgressRefused):
        egress.admit("google_customer_match", {"path": str(exports / "link")})


def test_configured_folders_replace_the_default(tmp_path):
    egress = strict(tmp_path, destination_folders=f"{tmp_path / 'a'}, {tmp_path / 'b'}")
    assert egress.admit("file", {"path": str(tmp_path / "b" / "x")})
    with pytest.raises(EgressRefused):
        egress.admit("file", {"path": str(tmp_path / "data" / "exports")})


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/", "https://10.0.0.5/x", "http://192.168.1.1/",
    "http://172.16.3.4/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/", "http://224.0.0.1/", "https://internal.example.com/x",
    "https://sneaky.example.com/x",  # one of its addresses is private
])  # fmt: skip
def test_webhooks_to_internal_addresses_are_refused_by_default(tmp_path, url):
    with pytest.raises(EgressRefused, match=r"destination_allowed_hosts|resolve"):
        strict(tmp_path).admit("webhook", {"url": url})


def test_public_webhooks_pass_and_unresolvable_ones_do_not(tmp_path):
    egress = strict(tmp_path)
    egress.admit("webhook", {"url": "https://hooks.example.com/x"})
    egress.admit("webhook", {"url": f"https://{GLOBAL}:8443/x"})
    with pytest.raises(EgressRefused, match="cannot resolve"):
        egress.admit("webhook", {"url": "https://nowhere.invalid/x"})
    with pytest.raises(EgressRefused, match="port"):
        egress.admit("webhook", {"url": "https://hooks.example.com:99999/x"})


def test_allowed_hosts_by_address_network_and_name(tmp_path):
    egress = strict(tmp_path,
                    destination_allowed_hosts="127.0.0.1, 10.0.0.0/8, Internal.example.com")
    egress.admit("webhook", {"url": "http://127.0.0.1:9000/x"})
    egress.admit("webhook", {"url": "http://10.9.8.7/x"})
    egress.admit("webhook", {"url": "http://internal.example.com/x"})
    with pytest.raises(EgressRefused):
        egress.admit("webhook", {"url": "http://169.254.169.254/"})
    everything = strict(tmp_path, destination_allowed_hosts="*")
    everything.admit("webhook", {"url": "http://169.254.169.254/"})


@pytest.mark.parametrize("url", [
    "postgresql://u:pw@127.0.0.1/db", "postgresql://u@hooks.example.com/db?host=169.254.169.254",
    "postgresql://u@hooks.example.com/db?hostaddr=10.0.0.1", "postgresql:///db",
    "postgresql://u@%2Fvar%2Frun%2Fpostgresql/db", "postgresql://u@hooks.example.com,10.0.0.2/db",
    "postgresql://?service=warehouse", "mysql://root@127.0.0.1/db", "mysql://root@/db",
    "postgresql+psycopg://u@192.168.0.2:5433/db",
])  # fmt: skip
def test_database_urls_reaching_internal_hosts_are_refused(tmp_path, url):
    with pytest.raises(EgressRefused):
        strict(tmp_path).admit("database", {"url": url, "table": "t"})


def test_database_urls_to_public_or_allowed_hosts_pass(tmp_path):
    strict(tmp_path).admit("database", {"url": "postgresql://u@hooks.example.com:5432/db"})
    allowed = strict(tmp_path, destination_allowed_hosts="127.0.0.1")
    allowed.admit("database", {"url": "mysql://root@127.0.0.1:3306/test"})
    allowed.admit("database", {"url": "postgresql://postgres@127.0.0.1:5432/test"})
