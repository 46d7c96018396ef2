"""Backup → erase → restore for people identity never saw: one known only from the consent
ledger, two known only from the quarantine. Replaying the journal finds them from hashes
(`subject.hash_index` hashes the ledger's subjects and the identifiers quarantined payloads
mention), so the restored database does not bring them back."""

from __future__ import annotations

from pathlib import Path

from opencdp.admin import Admin
from opencdp.backup import restore_backup
from opencdp.workspace import Workspace
from tests.collecting import collect
from tests.privacy.people import ORDERS_MAPPING, scan

CONSENT_ONLY = "lonely.q@corpmail.co.th"
GHOST = "ghost-7731"  # a user id seen only in an invalid message
GHOST_PHONE = "+66 81 234 5699"
IMPORT_ONLY = "quarantined.r@corpmail.co.th"  # an order row rejected for its time
VALUES = [CONSENT_ONLY, GHOST, GHOST_PHONE, IMPORT_ONLY]
KEEPS_FORMS = ("suppressions.", "privacy_requests.")  # erased identifiers' stored forms


def stored_forms(ws: Workspace) -> list[str]:
    """The values as stored: pseudonyms when field encryption is on (the values off)."""
    typed = [f"email:{CONSENT_ONLY}", f"user_id:{GHOST}", "phone:+66812345699",
             f"email:{IMPORT_ONLY}"]  # fmt: skip
    return [ws.personal.identifier(t).partition(":")[2] for t in typed]


def _populate(admin: Admin, folder: Path) -> None:
    admin.create_source("web", default_region="TH")
    admin.create_source("crm", default_region="TH")
    admin.state_consent(f"email:{CONSENT_ONLY}", "email_marketing", True)
    collect(admin, [{"type": "track", "userId": GHOST,  # no event name: quarantined
                     "context": {"traits": {"phone": GHOST_PHONE}}}])  # fmt: skip
    orders = folder / "orders.csv"
    orders.write_text("order_id,email,total,ordered_at\n"
                      f"o-1,{IMPORT_ONLY},10,not a time\n", encoding="utf-8")  # fmt: skip
    admin.import_file("crm", orders, ORDERS_MAPPING)
    admin.ws.bring_current()


def test_people_known_only_from_consents_or_quarantine_stay_erased(settings, tmp_path):
    with Workspace(settings) as ws:
        admin = Admin(ws)
        _populate(admin, tmp_path)
        forms = stored_forms(ws)
        found = scan(admin, VALUES + forms)
        assert any(k.startswith("consent_ledger.") for k in found), found
        assert sum(k.startswith("quarantine.") for k in found) >= 3, found  # three values
        made = admin.create_backup()
        receipts = [admin.privacy_erase(CONSENT_ONLY)["receipt"],
                    admin.privacy_erase(f"user_id:{GHOST}")["receipt"],
                    admin.privacy_erase(IMPORT_ONLY)["receipt"]]  # fmt: skip
        for receipt in receipts:
            receipt["tables"].pop("identifier_values", None)  # vault rows, when encrypted
        assert receipts[0]["tables"] == {"consent_ledger": 1}
        assert receipts[1]["tables"] == {"quarantine": 1}
        assert receipts[2]["tables"] == {"quarantine": 1}
        assert {k for k in scan(admin, VALUES) if not k.startswith("privacy_requests")} == set()
        assert {k for k in scan(admin, forms) if not k.startswith(KEEPS_FORMS)} == set()

    report = restore_backup(settings, Path(made["path"]))

    assert report["erasures_reapplied"] == 3
    with Workspace(settings) as ws:
        admin = Admin(ws)
        assert scan(admin, VALUES) == {}, "the backup's copies were erased again"
        assert {k for k in scan(admin, forms) if not k.startswith(KEEPS_FORMS)} == set()
        replayed = admin.privacy_requests(kind="erasure")
        assert sorted(r["receipt"]["tables"].get("consent_ledger", 0) for r in replayed) == [
            0, 0, 1]
        assert sum(r["receipt"]["tables"].get("quarantine", 0) for r in replayed) == 2


def test_a_consent_only_person_is_found_by_a_bare_value(settings):
    """A phone number no profile holds (identity never saw it) but a consent statement
    names: the request need not say `phone:`."""
    with Workspace(settings) as ws:
        admin = Admin(ws)
        admin.state_consent("phone:+66812345600", "email_marketing", False)
        receipt = admin.privacy_erase("+66812345600")["receipt"]
        receipt["tables"].pop("identifier_values", None)  # its vault row, when encryption is on
        assert receipt["tables"] == {"consent_ledger": 1}
        assert receipt["identifiers"] == {"phone": 1}
        assert scan(admin, ["812345600"]) == {}
