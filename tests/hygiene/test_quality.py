"""The data-quality report on a small hand-built database with hand-computed figures.

Sources: `crm` (4 records, imported with a mapping whose columns are named unlike the
fields), `shop` (2 records, no stored mapping), `web` (4 collected events) and `empty`.
crm and shop share one customer by e-mail (phones differ) and one by phone (e-mail and
birth date differ).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import duckdb
import pytest

from opencdp.db import open_database
from opencdp.hygiene.quality import format_report, quality_report
from opencdp.hygiene.quality_common import install_macros

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PLACEHOLDER = "placeholder: placeholder value (test, N/A, 0000000000 …)"
INVALID_PHONE = "phone.invalid: invalid phone number"
CRM_MAPPING = {"columns": {
    "E-mail": "identifier:email", "Mobile": "identifier:phone",
    "Cust No": ["identifier:customer_id", "record_id"], "First": "trait:first_name",
    "DOB": "trait:birth_date",
}}  # fmt: skip
PERSONAL = [
    "somchai@example.com",
    " Somchai@Example.com ",
    "dup@example.com",
    "test@test.com",
    "other@example.com",
    "web@example.com",
    "Web@Example.com",
    "+66812345678",
    "+66811111111",
    "+66822222222",
    "+66899999999",
    "081-000-0000",
    "081-111-1111",
]
_keys = count(1)


def add_record(
    con: duckdb.DuckDBPyConnection, source: str, record_id: str, identifiers: dict[str, Any],
    traits: dict[str, Any], *, fixes: dict[str, Any] | None = None,
    import_id: str = "imp-crm", age: timedelta = timedelta(days=3),
) -> None:  # fmt: skip
    con.execute(
        "INSERT INTO source_records VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)",
        [source, record_id, next(_keys), next(_keys), import_id, json.dumps(identifiers),
         json.dumps(traits), json.dumps(fixes) if fixes else None, NOW - age, NOW - age,
         next(_keys)],
    )  # fmt: skip


def add_event(
    con: duckdb.DuckDBPyConnection, kind: str, *, user_id: str | None = None,
    anonymous_id: str | None = None, event: str | None = None,
    traits: dict[str, Any] | None = None, context: dict[str, Any] | None = None,
    age: timedelta = timedelta(hours=5), source: str = "web",
) -> None:  # fmt: skip
    seq = next(_keys)
    con.execute(
        "INSERT INTO events (seq, source_id, message_id, message_key, type, user_id,"
        ' anonymous_id, event, "timestamp", received_at, traits, context)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, source, f"m{seq}", seq, kind, user_id, anonymous_id, event,
         NOW - age - timedelta(seconds=seq), NOW - age,
         json.dumps(traits) if traits else None, json.dumps(context) if context else None],
    )  # fmt: skip


def quarantine(
    con: duckdb.DuckDBPyConnection, source: str, stage: str, reason: str, status: str = "pending"
) -> None:
    con.execute(
        "INSERT INTO quarantine (source_id, stage, reason, payload, received_at, status)"
        " VALUES (?, ?, ?, '{}', ?, ?)",
        [source, stage, reason, NOW, status],
    )


def build(con: duckdb.DuckDBPyConnection) -> None:
    for source, name in (("crm", "CRM"), ("shop", "Shop"), ("web", "Web"), ("empty", "Empty")):
        con.execute("INSERT INTO sources (source_id, name, write_key) VALUES (?, ?, ?)",
                    [source, name, f"key-{source}"])  # fmt: skip
    con.execute(
        "INSERT INTO imports (import_id, source_id, location, status, started_at, mapping)"
        " VALUES ('imp-crm', 'crm', 'crm.csv', 'completed', ?, ?),"
        " ('imp-shop', 'shop', 'shop.csv', 'completed', ?, NULL)",
        [NOW, json.dumps(CRM_MAPPING), NOW],
    )
    add_record(con, "crm", "1001", {"email": "somchai@example.com", "phone": "+66812345678",
               "customer_id": "1001"}, {"first_name": "Somchai", "birth_date": "1980-01-02"},
               fixes={"E-mail": {"original": " Somchai@Example.com ",
                                 "cleaned": "somchai@example.com"}},
               age=timedelta(hours=2))  # fmt: skip
    add_record(con, "crm", "1002", {"email": "dup@example.com", "phone": "+66811111111",
               "customer_id": "1002"}, {"first_name": "Anan", "birth_date": "1975-05-05"},
               )  # fmt: skip
    refused_phone = {"Mobile": {"original": "081-000-0000", "problem": INVALID_PHONE}}
    add_record(con, "crm", "1003", {"email": "dup@example.com", "customer_id": "1003"},
               {"first_name": "Mali"}, fixes=refused_phone)  # fmt: skip
    add_record(con, "crm", "1004", {"phone": "+66822222222", "customer_id": "1004"},
               {"first_name": "Niran", "birth_date": "1990-09-09"},
               fixes={"E-mail": {"original": "test@test.com", "problem": PLACEHOLDER}})  # fmt: skip
    add_record(con, "shop", "shop-1", {"email": "somchai@example.com", "phone": "+66899999999"},
               {"first_name": "Somchai", "birth_date": "1980-01-02"}, import_id="imp-shop",
               age=timedelta(days=10))  # fmt: skip
    fixed_phone = {"phone": {"original": "081-111-1111", "cleaned": "+66811111111"}}
    add_record(con, "shop", "shop-2", {"email": "other@example.com", "phone": "+66811111111"},
               {"birth_date": "1975-05-06"}, import_id="imp-shop", age=timedelta(days=12),
               fixes=fixed_phone)  # fmt: skip
    add_event(con, "identify", user_id="u1", anonymous_id="a1",
              traits={"email": "web@example.com"}, context={"traits": {"plan": "pro"}},
              age=timedelta(seconds=30))  # fmt: skip
    add_event(con, "track", user_id="u1", event="Order Completed",
              context={"traits": {"plan": "pro"}})  # fmt: skip
    add_event(con, "track", anonymous_id="a2", event="Viewed", context={"locale": "th-TH"})
    add_event(con, "page", user_id="u2", anonymous_id="a3")
    quarantine(con, "crm", "import", "no usable identifier; E-mail: email.syntax: invalid email")
    quarantine(con, "crm", "import", "no usable identifier", status="replayed")
    quarantine(con, "crm", "import", "no usable identifier")
    quarantine(con, "web", "collect", "message needs a userId or an anonymousId")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_database(tmp_path_factory.mktemp("quality") / "x.duckdb")
    build(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def report(database: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return quality_report(database, now=NOW)


def source(report: dict[str, Any], source_id: str) -> dict[str, Any]:
    return next(s for s in report["sources"] if s["source_id"] == source_id)


def field(report: dict[str, Any], source_id: str, name: str) -> dict[str, Any]:
    return next(f for f in source(report, source_id)["fields"] if f["field"] == name)


def test_lists_every_source_with_its_counts(report: dict[str, Any]) -> None:
    assert [(s["source_id"], s["name"], s["records"], s["events"]) for s in report["sources"]] == [
        ("crm", "CRM", 4, 0), ("empty", "Empty", 0, 0), ("shop", "Shop", 2, 0), ("web", "Web", 0, 4)
    ]  # fmt: skip
    assert report["generated_at"] == "2024-06-01T12:00:00+00:00"
    assert source(report, "empty")["fields"] == []


def test_record_fields_resolve_fix_columns_through_the_mapping(report: dict[str, Any]) -> None:
    crm = source(report, "crm")["fields"]
    assert [(f["role"], f["field"]) for f in crm] == [
        ("identifier", "customer_id"), ("identifier", "email"), ("identifier", "phone"),
        ("trait", "birth_date"), ("trait", "first_name"),
    ]  # fmt: skip
    email = field(report, "crm", "email")
    assert {k: email[k] for k in ("expected", "present", "refused", "fixed", "missing")} == {
        "expected": 4, "present": 3, "refused": 1, "fixed": 1, "missing": 0,
    }  # fmt: skip
    assert (email["completeness"], email["validity"], email["fixed_share"]) == (0.75, 0.75, 0.25)
    assert email["problems"] == [{"problem": PLACEHOLDER, "count": 1}]


def test_uniqueness_counts_duplicated_values(report: dict[str, Any]) -> None:
    email = field(report, "crm", "email")
    assert (email["distinct"], email["uniqueness"]) == (2, 0.6667)
    assert (email["duplicated_values"], email["duplicated_records"]) == (1, 2)
    phone = field(report, "crm", "phone")
    assert (phone["present"], phone["distinct"], phone["uniqueness"]) == (3, 3, 1.0)
    assert (phone["duplicated_values"], phone["validity"], phone["completeness"]) == (0, 0.75, 0.75)


def test_missing_value_lowers_completeness_not_validity(report: dict[str, Any]) -> None:
    birth = field(report, "crm", "birth_date")
    assert (birth["present"], birth["missing"], birth["refused"]) == (3, 1, 0)
    assert (birth["completeness"], birth["validity"], birth["fixed_share"]) == (0.75, 1.0, 0.0)
    customer = field(report, "crm", "customer_id")
    assert (customer["completeness"], customer["validity"], customer["uniqueness"]) == (1, 1, 1)


def test_fix_without_stored_mapping_takes_the_column_as_field(report: dict[str, Any]) -> None:
    phone = field(report, "shop", "phone")
    assert (phone["role"], phone["present"], phone["fixed"], phone["fixed_share"]) == (
        "identifier", 2, 1, 0.5,
    )  # fmt: skip
    first = field(report, "shop", "first_name")
    assert (first["present"], first["completeness"]) == (1, 0.5)


def test_event_fields(report: dict[str, Any]) -> None:
    web = source(report, "web")["fields"]
    assert [(f["role"], f["field"], f["expected"], f["present"]) for f in web] == [
        ("event", "userId", 4, 3), ("event", "anonymousId", 4, 3), ("event", "event", 2, 2),
        ("event", "timestamp", 4, 4), ("trait", "traits.email", 1, 1),
        ("context_trait", "context.traits.plan", 4, 2),
    ]  # fmt: skip
    user = field(report, "web", "userId")
    assert (user["completeness"], user["distinct"], user["uniqueness"]) == (0.75, 2, 0.6667)
    assert (user["duplicated_values"], user["duplicated_records"], user["validity"]) == (1, 2, 1)
    plan = field(report, "web", "context.traits.plan")
    assert (plan["completeness"], plan["uniqueness"], plan["duplicated_values"]) == (0.5, 0.5, 1)


def test_consistency_across_sources(report: dict[str, Any]) -> None:
    found = [(c["linked_by"], c["field"], c["customers"], c["shared_customers"], c["share"])
             for c in report["consistency"]]  # fmt: skip
    assert found == [
        ("email", "phone", 1, 1, 1.0), ("phone", "birth_date", 1, 1, 1.0),
        ("phone", "email", 1, 1, 1.0),
    ]  # fmt: skip
    assert report["consistency"][0]["examples"] == [
        {"customer": "so***", "values": {"crm": ["+6***"], "shop": ["+6***"]}}
    ]
    assert report["consistency"][2]["examples"] == [
        {"customer": "+6***", "values": {"crm": ["du***"], "shop": ["ot***"]}}
    ]


def test_freshness(report: dict[str, Any]) -> None:
    ages = {s["source_id"]: (s["freshness"]["age_seconds"], s["freshness"]["age"])
            for s in report["sources"]}  # fmt: skip
    assert ages == {"crm": (7200, "2 hours"), "shop": (864000, "10 days"),
                    "web": (30, "30 seconds"), "empty": (None, None)}  # fmt: skip
    crm = source(report, "crm")["freshness"]
    assert crm["newest"] == crm["newest_record"] == "2024-06-01T10:00:00+00:00"
    assert crm["newest_event"] is None


def test_quarantine_reasons(report: dict[str, Any]) -> None:
    assert source(report, "crm")["quarantine"] == {"total": 3, "pending": 2, "reasons": [
        {"reason": "no usable identifier", "count": 3, "pending": 2, "examples": [1, 2, 3]},
        {"reason": "E-mail: email.syntax: invalid email", "count": 1, "pending": 1,
         "examples": [1]},
    ]}  # fmt: skip
    assert source(report, "web")["quarantine"]["reasons"] == [
        {"reason": "message needs a userId or an anonymousId", "count": 1, "pending": 1,
         "examples": [4]}
    ]  # fmt: skip
    assert source(report, "shop")["quarantine"] == {"total": 0, "pending": 0, "reasons": []}


def test_top_problems_ranked_by_share_then_count(report: dict[str, Any]) -> None:
    ranked = [(p["kind"], p["source_id"], p.get("field") or p.get("reason"), p["affected"],
               p["share"]) for p in report["top_problems"]]  # fmt: skip
    assert ranked == [
        ("completeness", "shop", "first_name", 1, 0.5),
        ("quarantine", "crm", "no usable identifier", 3, 0.4286),
        ("completeness", "crm", "birth_date", 1, 0.25),
        ("completeness", "crm", "email", 1, 0.25),
        ("completeness", "crm", "phone", 1, 0.25),
        ("validity", "crm", "email", 1, 0.25),
        ("validity", "crm", "phone", 1, 0.25),
        ("quarantine", "web", "message needs a userId or an anonymousId", 1, 0.2),
        ("quarantine", "crm", "E-mail: email.syntax: invalid email", 1, 0.1429),
    ]  # fmt: skip
    problems = report["top_problems"]
    assert problems[0]["examples"] == [{"record_id": "sh***"}]
    assert problems[5]["examples"] == [{"value": "te***", "problem": PLACEHOLDER}]
    assert problems[6]["examples"] == [{"value": "08***", "problem": INVALID_PHONE}]
    assert problems[1]["examples"] == [{"quarantine_id": 1}, {"quarantine_id": 2},
                                       {"quarantine_id": 3}]  # fmt: skip


def test_report_never_shows_a_full_personal_value(report: dict[str, Any]) -> None:
    text = json.dumps(report, ensure_ascii=False) + format_report(report)
    leaked = [value for value in PERSONAL if value in text or value.strip() in text]
    assert leaked == []


def test_one_source_only(database: duckdb.DuckDBPyConnection) -> None:
    shop = quality_report(database, source_id="shop", now=NOW)
    assert [s["source_id"] for s in shop["sources"]] == ["shop"]
    assert source(shop, "shop") == source(quality_report(database, now=NOW), "shop")
    assert [(c["linked_by"], c["field"]) for c in shop["consistency"]] == [
        ("email", "phone"),
        ("phone", "birth_date"),
        ("phone", "email"),
    ]
    assert {p["source_id"] for p in shop["top_problems"]} == {"shop"}
    assert quality_report(database, source_id="web", now=NOW)["consistency"] == []


def test_format_report_is_a_readable_table(report: dict[str, Any]) -> None:
    text = format_report(report)
    assert "CRM (crm): 4 records, 0 events, newest 2 hours old, quarantined 3 (2 pending)" in text
    email_row = next(line for line in text.splitlines() if line.split()[:1] == ["email"])
    assert email_row.split() == ["email", "identifier", "75.0%", "75.0%", "25.0%", "66.7%",
                                 "1", "on", "2"]  # fmt: skip
    assert "Empty (empty): 0 records, 0 events, no data yet" in text
    assert "Top problems" in text and "so***: crm +6***; shop +6***" in text


def test_unusual_trait_names_and_event_fixes(tmp_path: Path) -> None:
    con = open_database(tmp_path / "x.duckdb")
    add_record(con, "odd", "r1", {"email": "a@x.com"}, {"a.b": "1", "$x": "2", "p/q~": "3"},
               import_id="none")  # fmt: skip
    add_event(con, "identify", user_id="u1", source="app", traits={"name": "Ann"})
    con.execute(
        "UPDATE events SET fixes = ? WHERE source_id = 'app'",
        [json.dumps({"traits.phone": {"original": "0000000000", "problem": PLACEHOLDER}})],
    )
    found = quality_report(con, now=NOW)
    odd = {f["field"]: f["present"] for f in source(found, "odd")["fields"]}
    assert odd == {"email": 1, "a.b": 1, "$x": 1, "p/q~": 1}
    phone = field(found, "app", "traits.phone")
    assert (phone["present"], phone["refused"], phone["validity"]) == (0, 1, 0.0)
    assert found["top_problems"][0]["examples"] == [{"value": "00***", "problem": PLACEHOLDER}]
    con.close()


def test_runs_on_a_read_only_connection_with_a_naive_now(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    con = open_database(path)
    build(con)
    con.close()
    reader = open_database(path, read_only=True)
    try:
        found = quality_report(reader, now=NOW.replace(tzinfo=None))
        assert found["generated_at"] == "2024-06-01T12:00:00+00:00"
        assert field(found, "crm", "email")["validity"] == 0.75
        leftovers = reader.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'quality%'"
        ).fetchall()
        assert leftovers == [(0,)]
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("value", "masked"),
    [("somchai@example.com", "so***"), ("+66812345678", "+6***"), ("abcd", "ab***"),
     ("abc", "a***"), ("ab", "a***"), ("a", "***"), (None, None)],
)  # fmt: skip
def test_mask_shows_at_most_two_characters_and_never_half(value: str | None, masked: str) -> None:
    con = duckdb.connect()
    install_macros(con)
    assert con.execute("SELECT quality_mask(?::VARCHAR)", [value]).fetchall() == [(masked,)]
