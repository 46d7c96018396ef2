"""Every door screens against the suppressed identifiers: the consent API, rejected import
rows, and invalid collected messages however the person is identified in them."""

from __future__ import annotations

import pytest

from opencdp.admin import Admin
from opencdp.privacy.suppression import IdentifierSuppressed
from tests.collecting import collect
from tests.privacy.people import ANN, BOB, ORDERS_MAPPING, orders_csv, populate, scan


@pytest.fixture
def admin(workspace):
    return Admin(workspace)


@pytest.fixture
def erased(admin, tmp_path):
    ids = populate(admin, tmp_path)
    admin.privacy_erase(ANN.email)
    return ids


def test_consent_statements_about_an_erased_person_are_not_recorded(admin, erased):
    with pytest.raises(IdentifierSuppressed):
        admin.state_consent(f"email:{ANN.email.upper()}", "email_marketing", True)
    answers = admin.record_consents([
        {"identifier": f"phone:{ANN.phone}", "purpose": "analytics", "granted": True},
        {"identifier": f"email:{BOB.email}", "purpose": "analytics", "granted": False},
    ])  # fmt: skip
    assert answers[0] == {"recorded": False,
                          "reason": "the identifier belongs to a person who was erased"}
    assert answers[1]["statement"]["granted"] is False and answers[1]["profile_id"] == erased["bob"]
    assert scan(admin, ANN.values) == {}


def test_consent_api_answers_409_for_an_erased_person(settings, tmp_path):
    from fastapi.testclient import TestClient

    from opencdp.api.app import create_app
    from opencdp.workspace import admin_token

    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {admin_token(settings)}"
        client.post("/v1/privacy/erasure", json={"identifier": ANN.email})
        refused = client.post("/v1/consents", json={
            "identifier": f"email:{ANN.email}", "purpose": "analytics", "granted": True})
        assert refused.status_code == 409 and refused.json()["code"] == "suppressed"
        assert ANN.email not in refused.text


def test_rejected_import_rows_of_an_erased_person_are_not_quarantined(admin, erased, tmp_path):
    before = admin.ws.read(lambda con: con.execute("SELECT count(*) FROM quarantine").fetchone())
    path = tmp_path / "orders-again.csv"
    path.write_text(orders_csv(ANN, BOB), encoding="utf-8")  # one bad row each
    report = admin.import_file("crm", path, ORDERS_MAPPING)
    after = admin.ws.read(lambda con: con.execute("SELECT count(*) FROM quarantine").fetchone())
    assert report["quarantined"] <= 2  # counted by the importer before screening
    assert after[0] - before[0] == 0, "Bob's bad row is already pending; Ann's is dropped"
    assert scan(admin, ANN.values) == {}
    drops = {d["stage"]: d["dropped"] for d in admin.suppression_status()["drops"]}
    assert drops["import"] == 2, "her good row and her rejected row"


@pytest.mark.parametrize("message", [
    {"type": "track", "anonymousId": "a-new-1",
     "context": {"traits": {"phone": "+66 81 234 5671"}}},  # phone, typed with spaces
    {"type": "track", "anonymousId": "a-new-2",
     "context": {"traits": {"email": f" {ANN.email.upper()} "}}},
    {"type": "track", "userId": f" {ANN.user_id} "},
    {"type": "track", "anonymousId": "a-new-3",
     "context": {"externalIds": [{"type": "customer_id", "id": ANN.customer_id}]}},
])  # fmt: skip
def test_an_invalid_message_of_an_erased_person_is_not_quarantined(admin, erased, message):
    """Each lacks its event name (invalid), and names her only in one way."""
    before = admin.ws.read(lambda con: con.execute("SELECT count(*) FROM quarantine").fetchone())
    collect(admin, [message])
    after = admin.ws.read(lambda con: con.execute("SELECT count(*) FROM quarantine").fetchone())
    assert after == before
    assert scan(admin, ANN.values) == {}
