"""Every file parses, and event messages are valid Segment-spec messages."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from opencdp.generate import WRITERS
from tests.generate.conftest import read_jsonl

CSV_FILES = (
    "crm_contacts.csv",
    "orders.csv",
    "email_activity.csv",
    "support_tickets.csv",
    "surveys.csv",
    "ground_truth.csv",
    "people.csv",
)


def test_csv_files_parse_with_a_constant_column_count(dataset: Path) -> None:
    for name in CSV_FILES:
        with (dataset / name).open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) > 1, name
        assert {len(row) for row in rows} == {len(rows[0])}, name


def test_jsonl_files_parse(dataset: Path) -> None:
    for name in ("events.jsonl", "social.jsonl"):
        lines = (dataset / name).read_text(encoding="utf-8").splitlines()
        assert lines, name
        assert all(isinstance(json.loads(line), dict) for line in lines)


def test_manifest_counts_match_the_files(dataset: Path) -> None:
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    for name, rows in manifest["files"].items():
        text = (dataset / name).read_text(encoding="utf-8")
        if name.endswith(".jsonl"):
            assert len(text.splitlines()) == rows
        else:
            with (dataset / name).open(encoding="utf-8", newline="") as f:
                assert sum(1 for _ in csv.reader(f)) - 1 == rows
    assert manifest["record_ids"] == {w.file_name: w.record_id for w in WRITERS.values()}


def test_events_are_segment_messages(dataset: Path) -> None:
    kinds: set[str] = set()
    events: set[str] = set()
    for message in read_jsonl(dataset / "events.jsonl"):
        kind = message["type"]
        kinds.add(kind)
        assert kind in {"identify", "track", "page", "screen", "alias", "group"}
        assert isinstance(message["messageId"], str) and message["messageId"]
        assert message.get("userId") or message.get("anonymousId")
        datetime.fromisoformat(message["timestamp"])
        assert "library" in message["context"] and message["context"]["locale"]
        if kind == "track":
            assert isinstance(message["event"], str) and message["event"]
            assert isinstance(message["properties"], dict)
            events.add(message["event"])
        elif kind == "identify":
            assert isinstance(message["traits"], dict)
        elif kind == "alias":
            assert message["previousId"] and message["userId"]
        elif kind in ("page", "screen"):
            assert message["name"]
        if "anonymousId" in message and message["context"]["library"]["name"] == "analytics.js":
            assert message["context"]["ip"] and message["context"]["userAgent"]
    assert kinds == {"identify", "track", "page", "screen", "alias"}
    assert {
        "Product Viewed",
        "Product Added",
        "Order Completed",
        "Email Opened",
        "Signed Up",
    } <= events


def test_web_orders_share_order_ids_with_the_shop_export(dataset: Path) -> None:
    with (dataset / "orders.csv").open(encoding="utf-8", newline="") as f:
        shop = {row["order_id"] for row in csv.DictReader(f)}
    web = {
        m["properties"]["order_id"]
        for m in read_jsonl(dataset / "events.jsonl")
        if m.get("event") == "Order Completed"
    }
    assert web and web <= shop


def test_csv_bytes_are_what_the_csv_module_writes(dataset: Path) -> None:
    """The sinks' fast path (plain join when nothing needs quoting) matches csv.writer."""
    for name in CSV_FILES:
        text = (dataset / name).read_text(encoding="utf-8")
        with (dataset / name).open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        assert out.getvalue() == text, name
