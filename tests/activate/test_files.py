"""Files, ad-platform lists and email lists read back from the folder."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opencdp.activate import create_destination, sync
from opencdp.activate.matching import meta_name, meta_phone
from tests.activate.conftest import NOW, SEGMENT, add_profile, set_consent, set_members

ADS = {"advertising": True}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read_csv(path: str) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _people(con, purpose="analytics"):
    add_profile(
        con,
        "p1",
        {"email": "a@x.com", "plan": '=HYPERLINK("http://evil")', "score": 7},
        consents={purpose: True},
    )
    add_profile(
        con, "p2", {"email": "b@x.com", "plan": "-2+3", "score": None}, consents={purpose: True}
    )
    set_members(con, ["p1", "p2"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_file_formats_read_back(con, tmp_path, fmt):
    _people(con)
    create_destination(
        con,
        "f",
        "file",
        SEGMENT,
        "analytics",
        {"path": str(tmp_path), "format": fmt, "traits": ["plan", "score"]},
    )
    result = sync(con, "f", now=NOW)
    (path,) = result["files"]
    assert Path(path).parent == tmp_path and path.endswith(f".{fmt}")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temp left"
    if fmt == "csv":
        assert _read_csv(path) == [
            ["profile_id", "change", "plan", "score"],
            ["p1", "entered", '\'=HYPERLINK("http://evil")', "7"],
            ["p2", "entered", "'-2+3", ""],
        ], "formula-looking cells are prefixed with a quote"
    elif fmt == "jsonl":
        lines = [json.loads(x) for x in Path(path).read_text().splitlines()]
        assert lines[0] == {
            "profile_id": "p1",
            "change": "entered",
            "traits": {"plan": '=HYPERLINK("http://evil")', "score": 7},
        }
        assert lines[1]["traits"] == {"plan": "-2+3", "score": None}
    else:
        table = pq.read_table(path).to_pylist()
        assert table == [
            {
                "profile_id": "p1",
                "change": "entered",
                "plan": '=HYPERLINK("http://evil")',
                "score": "7",
            },
            {"profile_id": "p2", "change": "entered", "plan": "-2+3", "score": None},
        ]


def test_incremental_file_lists_only_changes_and_leavers_without_traits(con, tmp_path):
    _people(con)
    create_destination(
        con,
        "f",
        "file",
        SEGMENT,
        "analytics",
        {"path": str(tmp_path), "format": "csv", "traits": ["plan"]},
    )
    sync(con, "f", now=NOW)
    set_consent(con, "p2", "analytics", False)
    (path,) = sync(con, "f", now=NOW.replace(hour=13))["files"]
    assert _read_csv(path) == [["profile_id", "change", "plan"], ["p2", "exited", ""]]


def test_google_and_meta_lists_hash_normalised_values(con, tmp_path):
    add_profile(
        con,
        "p1",
        {
            "email": "  Jane.Doe@Example.COM ",
            "phone": "081-234-5678",
            "first_name": " Jane ",
            "last_name": "O'Neil",
            "country": "Thailand",
            "postcode": "10110",
        },
        consents=ADS,
    )
    add_profile(con, "p2", {"first_name": "NoContact"}, consents=ADS)  # nothing to match on
    add_profile(con, "p3", {"email": "c@x.com"})  # no consent: never listed
    set_members(con, ["p1", "p2", "p3"])
    for kind in ("google_customer_match", "meta_custom_audience"):
        create_destination(con, kind, kind, SEGMENT, "ads", {"path": str(tmp_path / kind)})
    (google,) = sync(con, "google_customer_match", mode="full", now=NOW)["files"]
    assert _read_csv(google) == [
        ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"],
        [
            sha("jane.doe@example.com"),
            sha("+66812345678"),
            sha("jane"),
            sha("o'neil"),
            "TH",
            "10110",
        ],
    ]
    (meta,) = sync(con, "meta_custom_audience", mode="full", now=NOW)["files"]
    assert _read_csv(meta) == [
        ["EMAIL", "PHONE", "FN", "LN", "ZIP", "COUNTRY"],
        [
            sha("jane.doe@example.com"),
            sha("66812345678"),
            sha("jane"),
            sha("oneil"),
            sha("10110"),
            sha("th"),
        ],
    ]
    set_members(con, [])
    files = sync(con, "meta_custom_audience", now=NOW.replace(hour=13))["files"]
    assert [Path(f).name.rsplit("-", 1)[1] for f in files] == ["remove.csv"]
    assert _read_csv(files[0])[1][0] == sha("jane.doe@example.com"), "leavers are removed by hash"


def test_meta_normalisation_rules():
    assert meta_phone("+44 (0)20 7946 0958", None) == "442079460958"
    assert meta_phone("090-1234-5678", "JP") == "819012345678"
    assert meta_name("Mary-Ann, Jr.") == "maryannjr"
    assert meta_name("สมชาย") == "สมชาย", "non-Latin letters are kept (UTF-8)"


def test_email_list_is_mailchimp_shaped(con, tmp_path):
    add_profile(
        con,
        "p1",
        {"first_name": "=cmd", "last_name": "Lee"},
        consents={"email_marketing": True},
        identifiers={"email": "Lee@X.com"},
    )
    add_profile(con, "p2", {"first_name": "NoMail"}, consents={"email_marketing": True})
    set_members(con, ["p1", "p2"])
    create_destination(
        con,
        "mc",
        "email_list",
        SEGMENT,
        "newsletter",
        {"path": str(tmp_path), "tags": ["vip", "2025"]},
    )
    (path,) = sync(con, "mc", now=NOW)["files"]
    assert _read_csv(path) == [
        ["Email Address", "First Name", "Last Name", "Tags"],
        ["lee@x.com", "'=cmd", "Lee", "vip,2025"],
    ]
