"""Collection with field encryption on: nothing personal stored readable, everything read back.

The same messages go into a plain-text and an encrypted data directory; what the readers
answer (recent events, exports in every format, the quarantine) must be equal, while no
column of the tables collection writes holds a fixture e-mail, phone, name or IP address.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.admin import Admin
from opencdp.collect.messages import BatchEnvelope, EventRecord, InvalidMessage, normalize
from opencdp.collect.opening import JSON_FIELDS, EventOpener
from opencdp.collect.personal_fields import MessageSealer
from opencdp.collect.vault import IdentifierVault
from opencdp.config import load_settings
from opencdp.crypto.personal import PersonalData
from opencdp.workspace import Workspace
from tests.collect.test_messages import json_values
from tests.collect.test_messages import messages as any_messages
from tests.collecting import collect

EMAIL, PHONE, NAME, IP = "ann.tanaka@sakura-mail.jp", "+66812345678", "Tanaka", "203.0.113.77"
# What must not be readable anywhere (the phone also as sent, with its spaces).
SECRETS = (EMAIL, PHONE, "81 234 5678", NAME, IP, "Ann.Tanaka@Sakura-Mail.jp", "user-ann-42",
           "anon-ann-42", "Sukhumvit")  # fmt: skip


def messages() -> list[dict[str, Any]]:
    return [
        {"type": "identify", "messageId": "m1", "userId": "user-ann-42",
         "anonymousId": "anon-ann-42", "timestamp": "2026-11-01T10:00:00Z",
         "traits": {"email": " Ann.Tanaka@Sakura-Mail.jp", "phone": "081 234 5678",
                    "firstName": "Ann", "lastName": NAME, "plan": "pro",
                    "address": {"street": "Sukhumvit 21", "city": "Bangkok"}},
         "context": {"ip": IP, "locale": "th-TH", "userAgent": "Mozilla/5.0",
                     "externalIds": [{"id": EMAIL, "type": "crm_email"}]}},
        {"type": "track", "messageId": "m2", "anonymousId": "anon-ann-42",
         "event": "Order Completed", "timestamp": "2026-11-01T10:05:00Z",
         "properties": {"revenue": 19.9, "recipient_name": NAME, "email": EMAIL},
         "context": {"ip": IP, "traits": {"email": EMAIL, "name": f"Ann {NAME}"}}},
        {"type": "page", "messageId": "m3", "userId": "user-ann-42", "name": "Home",
         "timestamp": "2026-11-01T10:06:00Z", "category": "Docs", "email": EMAIL},
        {"type": "alias", "messageId": "m4", "userId": "user-ann-42",
         "previousId": "anon-ann-42", "timestamp": "2026-11-01T10:07:00Z"},
        {"type": "identify", "messageId": "m5", "userId": "0",  # a placeholder id: blocked
         "traits": {"email": "test@test.com", "phone": "n/a"},
         "timestamp": "2026-11-01T10:08:00Z"},
        # Invalid (a track without an event): quarantined with the person's data in it.
        {"type": "track", "messageId": "m6", "userId": "user-ann-42",
         "properties": {"email": EMAIL, "phone": PHONE}, "context": {"ip": IP}},
    ]  # fmt: skip


def open_workspace(tmp_path: Path, name: str, encrypted: bool) -> Workspace:
    return Workspace(load_settings(env={}, data_dir=tmp_path / name, field_encryption=encrypted))


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Admin, Admin]]:
    plain = open_workspace(tmp_path, "plain", False)
    sealed = open_workspace(tmp_path, "sealed", True)
    try:
        assert not plain.personal.enabled and sealed.personal.enabled
        admins = Admin(plain), Admin(sealed)
        for admin in admins:
            admin.create_source("web", default_region="TH")
            collect(admin, messages())
        yield admins
    finally:
        plain.close()
        sealed.close()


def without_run_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without what differs between two runs anyway (source ids, receipt times)."""
    drop = {"sourceId", "receivedAt", "source_id", "received_at", "quarantine_id"}
    return [{k: v for k, v in row.items() if k not in drop} for row in rows]


def exported(admin: Admin, fmt: str, tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / f"{id(admin)}.{fmt}"
    admin.export_events(path, fmt)
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    table = pq.read_table(path) if fmt == "parquet" else pa_csv.read_csv(path)
    rows = table.to_pylist()
    for row in rows:  # JSON text in these formats: compare the objects, not the spelling
        for key in ("properties", "traits", "context", "integrations", "extra", "fixes"):
            if isinstance(row.get(key), str) and row[key]:
                row[key] = json.loads(row[key])
    return rows


def test_readers_answer_the_same_in_both_modes(both: tuple[Admin, Admin], tmp_path: Path):
    plain, sealed = both
    recent = plain.recent_events(limit=10)
    assert len(recent) == 5
    assert without_run_values(sealed.recent_events(limit=10)) == without_run_values(recent)
    identify = recent[-1]
    assert identify["userId"] == "user-ann-42"
    assert identify["traits"]["email"] == EMAIL.lower() and identify["context"]["ip"] == IP
    for fmt in ("jsonl", "csv", "parquet"):
        assert without_run_values(exported(sealed, fmt, tmp_path)) == without_run_values(
            exported(plain, fmt, tmp_path)
        ), fmt


def test_the_quarantine_reads_and_replays_the_same(both: tuple[Admin, Admin]):
    answers = []
    for admin in both:
        (record,) = admin.list_quarantine()
        assert json.loads(record["payload"])["properties"]["email"] == EMAIL
        answers.append(without_run_values([record]))
        fixed = {**json.loads(record["payload"]), "event": "Fixed"}
        assert admin.replay_quarantined(record["quarantine_id"], fixed)["stored"] == 1
        assert admin.recent_events(limit=1)[0]["properties"]["email"] == EMAIL
    assert answers[0] == answers[1]


def columns_as_text(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    names = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    ]
    text = " || ' ' || ".join(f"coalesce(CAST(\"{n}\" AS VARCHAR), '')" for n in names)
    return [row[0] for row in con.execute(f"SELECT {text} FROM {table}").fetchall()]


def test_no_column_collection_writes_holds_personal_data_when_on(both: tuple[Admin, Admin]):
    plain, sealed = both
    for admin, readable in ((plain, True), (sealed, False)):
        found = set()
        for table in ("events", "identifier_values", "quarantine"):
            rows = admin.ws.read(lambda con, t=table: columns_as_text(con, t))
            assert rows or table == "identifier_values"
            found |= {s for s in SECRETS for row in rows if s.lower() in row.lower()}
        # The plain directory is the control: the scan does find what is stored readable.
        assert found == (set(SECRETS) if readable else set()), found


def test_stored_identifiers_are_pseudonyms_and_placeholders_are_marked(
    both: tuple[Admin, Admin],
):
    _, sealed = both
    personal = sealed.ws.personal
    rows = dict(sealed.ws.read(lambda con: con.execute(
        "SELECT message_id, identifiers FROM events").fetchall()))  # fmt: skip
    assert rows["m1"][:3] == [
        personal.identifier("user_id:user-ann-42"), personal.identifier("anonymous_id:anon-ann-42"),
        personal.identifier("email:" + EMAIL),
    ]  # fmt: skip
    assert rows["m5"] == [personal.identifier("user_id:0", blocked=True)]
    vault = sealed.ws.read(lambda con: con.execute(
        "SELECT identifier, count(*) FROM identifier_values GROUP BY ALL").fetchall())  # fmt: skip
    # One vault row per identifier although several events carried it.
    assert all(n == 1 for _, n in vault)
    assert personal.identifier("anonymous_id:anon-ann-42") in dict(vault)


def test_the_size_limit_applies_to_what_the_client_sent(tmp_path: Path):
    """Sealing makes the stored row larger; a message at the limit is still accepted, and
    one byte less refuses it in both modes."""
    with open_workspace(tmp_path, "on", True) as ws:
        sealer = MessageSealer(ws.personal, IdentifierVault())
        message = messages()[0]
        at = datetime(2026, 11, 1, tzinfo=UTC)
        size = normalize(message, BatchEnvelope("src", at), None).size
        exact = BatchEnvelope("src", at, max_message_bytes=size)
        sealed = normalize(message, exact, None, sealer)
        columns = (sealed.properties, sealed.traits, sealed.context, sealed.extra, sealed.fixes)
        assert sealed.size == size < 256 + sum(len(c) for c in columns if c)
        assert EMAIL not in (sealed.traits or "") and "Ann" not in (sealed.traits or "")
        assert sealed.vault and len(sealed.vault) == len(sealed.identifiers or [])
        tight = BatchEnvelope("src", at, max_message_bytes=size - 1)
        for with_sealer in (None, sealer):
            with pytest.raises(InvalidMessage, match="over this source's limit"):
                normalize(message, tight, None, with_sealer)


# --- normalize with a sealer, then the readers' opening: the plain record again -------

PERSONAL_KEYS = ["email", "phone", "firstName", "name", "ip", "note", "address", "dob"]
members = st.dictionaries(
    st.sampled_from([*PERSONAL_KEYS, "plan", "sku", "city"]) | st.text(max_size=8),
    json_values | st.sampled_from(["ann@sakura-mail.jp", "1990-02-03", "081 234 5678"]),
    max_size=6,
)  # fmt: skip


@st.composite
def personal_messages(draw: st.DrawFn) -> dict[str, Any]:
    message = draw(any_messages())
    for field in ("properties", "traits"):
        if draw(st.booleans()):
            message[field] = draw(members)
    if draw(st.booleans()):
        message["context"] = {
            "traits": draw(members), "ip": draw(st.sampled_from([IP, None, 7])),
            "externalIds": [{"id": draw(st.text(min_size=1, max_size=9)), "type": "crm"}],
        }  # fmt: skip
    if draw(st.booleans()):
        message["category"] = draw(members)  # an unknown top-level field: `extra`
    return message


@pytest.fixture(scope="module")
def sealing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PersonalData]:
    personal = PersonalData(os.urandom(32), tmp_path_factory.mktemp("keys") / "keys.sqlite")
    yield personal
    personal.close()


def as_row(record: EventRecord) -> dict[str, Any]:
    """A record as a reader sees it: Segment names, JSON fields parsed."""
    row: dict[str, Any] = {"userId": record.user_id, "anonymousId": record.anonymous_id,
                           "previousId": record.previous_id}  # fmt: skip
    for name in JSON_FIELDS:
        text = getattr(record, name)
        row[name] = None if text is None else orjson.loads(text)
    return row


@settings(max_examples=200, deadline=None)
@given(message=personal_messages())
def test_opening_what_sealing_stored_gives_the_plain_record(
    sealing: PersonalData, message: dict[str, Any]
):
    envelope = BatchEnvelope("src", datetime(2026, 11, 1, tzinfo=UTC), client_ip=IP)
    plain = normalize(message, envelope, None)
    stored = normalize(message, envelope, None, MessageSealer(sealing, IdentifierVault()))
    with duckdb.connect() as con:
        con.execute("CREATE TABLE identifier_values (identifier VARCHAR, token VARCHAR)")
        con.executemany("INSERT INTO identifier_values VALUES (?, ?)", list(stored.vault or []))
        assert EventOpener(sealing, con).open_messages([as_row(stored)]) == [as_row(plain)]
    assert [i.partition(":")[0] for i in stored.identifiers or []] == [
        i.partition(":")[0] for i in plain.identifiers or []
    ]
    assert not set(stored.identifiers or []) & set(plain.identifiers or [])


def test_a_client_value_that_looks_like_a_token_reads_back_as_sent(tmp_path: Path):
    with open_workspace(tmp_path, "on", True) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        fake = {"note": "enc1:abc.def.ghi", "address": "enc1:x", "plan": "enc1:"}
        collect(admin, [{"type": "identify", "userId": "u1", "traits": fake,
                         "context": {"page": {"path": "enc1:y"}, "ip": "enc1:a.b.c"}}])  # fmt: skip
        (event,) = admin.recent_events()
        assert event["traits"] == fake
        assert event["context"] == {"page": {"path": "enc1:y"}, "ip": "enc1:a.b.c"}
