"""Probabilistic matching finds the same pairs with field encryption on as with it off.

The same imported records are stored in a plain and an encrypted workspace through the core
API (`ws.personal`), as the importer stores them: identifiers as pseudonyms (a refused
placeholder marked `~`) with their plaintext in the vault, personal traits sealed under the
record's strongest identifier. `people` must read back the same plaintext table, and the
model the same scored pairs, fuzzy names and e-mail local parts included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencdp.config import load_settings
from opencdp.crypto.personal import PersonalData
from opencdp.identity import probabilistic
from opencdp.identity.model import Identifier
from opencdp.identity.rules import IdentityRules
from opencdp.workspace import Workspace

NOW = datetime(2025, 3, 1, tzinfo=UTC)
PEOPLE = [("Somchai", "Jaidee", "1980-01-02", "10110", "Bangkok"),
          ("Malee", "Srisuk", "1975-05-05", "50200", "Chiang Mai"),
          ("Yuki", "Tanaka", "1990-03-04", "83000", "Phuket"),
          ("Anan", "Boonmee", "1968-11-30", "40000", "Khon Kaen"),
          ("Napat", "Wongsa", "2001-07-19", "20150", "Chonburi"),
          ("Kanya", "Thongdee", "1985-09-09", "90110", "Hat Yai"),
          ("Preecha", "Saetang", "1979-12-24", "10400", "Bangkok"),
          ("Wanida", "Kaewmanee", "1993-02-14", "57000", "Chiang Rai")]  # fmt: skip
TYPO = {"Somchai": "Somchay", "Yuki": "Yuuki", "Wanida": "Wanita"}


def _records() -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(source, record id, identifiers, traits): a CRM and a shop that share no identifier
    but the e-mail local part of some, with typos in names and a refused placeholder."""
    out = []
    for i, (first, last, born, postcode, city) in enumerate(PEOPLE):
        traits = {"first_name": first, "last_name": last, "birth_date": born,
                  "postcode": postcode, "city": city}  # fmt: skip
        out.append(("crm", f"C{i}", {"email": f"{first.lower()}.{i}@crm-mail.co.th",
                                     "phone": f"+668123400{i:02d}"}, traits))  # fmt: skip
        shop_email = f"{first.lower()}.{i}@shop-mail.co.th" if i % 2 else "test@test.com"
        out.append(("shop", f"S{i}", {"email": shop_email},
                    {**traits, "first_name": TYPO.get(first, first)}))  # fmt: skip
    return out


def _stored(personal: PersonalData, identifiers: dict[str, str]) -> tuple[dict[str, str], list]:
    """The identifiers as the importer stores them, and their vault rows."""
    stored, vault = {}, []
    for kind, value in identifiers.items():
        plain = f"{kind}:{value}"
        blocked = IdentityRules().is_blocked(Identifier(kind, value))
        made = personal.identifier(plain, blocked)
        stored[kind] = made.partition(":")[2]
        row = personal.vault_row(plain)
        if row is not None:
            vault.append((made, row[1]))
    return stored, vault


def _import(ws: Workspace, records: list[tuple[str, str, dict[str, str], dict[str, Any]]]) -> None:
    personal = ws.personal

    def write(con: Any) -> None:
        for seq, (source, record_id, identifiers, traits) in enumerate(records, 1):
            stored, vault = _stored(personal, identifiers)
            subject = personal.subject([f"{k}:{v}" for k, v in stored.items()],
                                       fallback=f"{source}:{record_id}")  # fmt: skip
            con.execute(
                "INSERT INTO source_records (source_id, record_id, record_key, content_hash,"
                " import_id, identifiers, traits, original, imported_at, updated_at, seq)"
                " VALUES (?, ?, ?, 0, 'i', ?, ?, '{}', ?, ?, ?)",
                [source, record_id, seq, json.dumps(stored),
                 json.dumps(personal.seal_members(subject, traits)), NOW, NOW, seq],
            )  # fmt: skip
            for row in vault:
                con.execute("INSERT INTO identifier_values VALUES (?, ?)", list(row))

    ws.write(write)


def _workspace(root: Path, encrypted: bool) -> Workspace:
    data = root / ("on" if encrypted else "off") / "data"
    return Workspace(load_settings(env={}, data_dir=data, field_encryption=encrypted))


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[dict[bool, Workspace]]:
    with ExitStack() as stack:
        yield {mode: stack.enter_context(_workspace(tmp_path, mode)) for mode in (False, True)}


def _pairs(ws: Workspace) -> list[tuple[Any, ...]]:
    rows, _ = probabilistic.proposals(ws.read(probabilistic.people))
    return sorted((r["record_id_l"], r["record_id_r"], r["decision"],
                   round(r["match_probability"], 9)) for r in rows)  # fmt: skip


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: r["record_id"])


def test_the_same_records_give_the_same_people_and_the_same_pairs(pair):
    records = _records()
    for ws in pair.values():
        _import(ws, records)
    stored = pair[True].read(lambda con: con.execute(
        "SELECT list(identifiers::VARCHAR || traits::VARCHAR) FROM source_records"
    ).fetchall()[0][0])  # fmt: skip
    assert not any(word in str(stored) for word in ("Somchai", "crm-mail", "Jaidee", "+6681"))
    people = {mode: _rows(ws.read(probabilistic.people)) for mode, ws in pair.items()}
    assert people[True] == people[False]
    assert people[True][0]["email"] == "somchai.0@crm-mail.co.th"
    assert {r["email"] for r in people[True]} >= {"test@test.com"}, "placeholders read back too"
    pairs = {mode: _pairs(ws) for mode, ws in pair.items()}
    assert pairs[True] == pairs[False]
    found = {(left, right) for left, right, *_ in pairs[True]}
    assert ("crm:C0", "shop:S0") in found and ("crm:C2", "shop:S2") in found, "typos still match"


def test_a_shredded_value_reads_as_missing(tmp_path):
    """After an erasure shreds a subject, its record's sealed traits and its e-mail read as
    missing, not as the text '[erased]' (which would match other erased records)."""
    with _workspace(tmp_path, True) as ws:
        _import(ws, _records()[:2])
        email = ws.personal.identifier("email:somchai.0@crm-mail.co.th")
        ws.personal.destroy([ws.personal.subject([email])])
        (crm,) = [r for r in ws.read(probabilistic.people).to_pylist() if r["source"] == "crm"]
    assert crm["first_name"] is None and crm["email"] is None
    assert crm["phone"] == "+66812340000", "another subject's key still opens"


_VALUES = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20).filter(
        lambda t: not t.startswith("enc1:")),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_VALUES, min_size=1, max_size=6))
def test_open_columns_gives_what_the_plain_json_arrow_gives(tmp_path_factory, values):
    """Opening a column of tokens yields exactly the text `traits ->> key` gives when the
    value is stored plain (property over text, integers and nulls, what imports store)."""
    with _workspace(tmp_path_factory.mktemp("open"), True) as ws:
        traits = [json.dumps({"first_name": v}) for v in values]
        plain = ws.read(lambda con: [con.execute("SELECT ?::JSON ->> 'first_name'", [t])
                                     .fetchall()[0][0] for t in traits])  # fmt: skip
        sealed = [ws.personal.seal("subject1", v) for v in values]
        ws.personal.persist_keys()
        table = pa.table({"record_id": [str(i) for i in range(len(values))],
                          "first_name": pa.array(sealed, pa.string())})  # fmt: skip
        opened = probabilistic.open_columns(ws.personal, table).column("first_name").to_pylist()
    assert opened == plain
