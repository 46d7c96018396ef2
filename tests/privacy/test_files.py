"""Rewriting destination files without a person's rows, in each format opencdp writes."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pyarrow.parquet as pq

from opencdp.activate.files import file_name, write_csv, write_jsonl, write_parquet
from opencdp.activate.matching import hashed
from opencdp.privacy.files import destination_files, needles, scrub_destinations, scrub_file
from opencdp.privacy.subject import Subject

ANN = Subject(["prof_ann"], [("email", "ann.k@siam-mail.co.th"), ("phone", "+66812345678"),
                             ("user_id", "u-1")], live=1)  # fmt: skip
HEADERS = ["profile_id", "change", "email", "note"]
ROWS = [
    ["prof_bob", "entered", "bob@x.co", "=SUM(A1)"],  # kept: a formula guarded by write_csv
    ["prof_ann", "entered", "ann.k@siam-mail.co.th", "two\nlines"],
    ["prof_cat", "updated", "cat@x.co", ""],
    ["prof_dan", "entered", " ANN.K@SIAM-MAIL.CO.TH ", "same person, other case"],
]


def test_csv_rows_of_the_person_go_and_the_rest_stays_as_written(tmp_path):
    path = write_csv(tmp_path / "f.csv", HEADERS, ROWS)
    assert scrub_file(path, needles(ANN)) == 2
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [HEADERS, ["prof_bob", "entered", "bob@x.co", "'=SUM(A1)"],
                    ["prof_cat", "updated", "cat@x.co", ""]]  # fmt: skip
    before = path.read_bytes()
    assert scrub_file(path, needles(ANN)) == 0 and path.read_bytes() == before


def test_jsonl_and_parquet(tmp_path):
    records = [{"profile_id": r[0], "change": r[1], "traits": {"email": r[2]}} for r in ROWS]
    jsonl = write_jsonl(tmp_path / "f.jsonl", records)
    assert scrub_file(jsonl, needles(ANN)) == 2
    assert [json.loads(line)["profile_id"] for line in jsonl.read_text().splitlines()] == [
        "prof_bob", "prof_cat"]
    parquet = write_parquet(tmp_path / "f.parquet", HEADERS, ROWS)
    assert scrub_file(parquet, needles(ANN)) == 2
    assert pq.read_table(parquet).column("profile_id").to_pylist() == ["prof_bob", "prof_cat"]


def test_ad_lists_are_matched_by_the_hashes_they_carry(tmp_path):
    path = write_csv(tmp_path / "ads.csv", ["Email", "Phone"],
                     [[hashed("ann.k@siam-mail.co.th"), ""], ["", hashed("+66812345678")],
                      [hashed("bob@x.co"), ""]])  # fmt: skip
    assert scrub_file(path, needles(ANN)) == 2


def test_only_the_destinations_own_files_are_touched(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5)
    mine = write_csv(tmp_path / file_name("crm file", now, "full", "csv"), HEADERS, ROWS)
    other = write_csv(tmp_path / file_name("crm file 2", now, "full", "csv"), HEADERS, ROWS)
    stranger = write_csv(tmp_path / "crm file-notes.csv", HEADERS, ROWS)
    assert destination_files(tmp_path, "crm file") == [mine]
    changed = scrub_destinations([("crm file", "file", {"path": str(tmp_path)}),
                                  ("hook", "webhook", {"url": "http://x"})], needles(ANN))
    assert changed == [{"destination": "crm file", "file": str(mine), "rows_removed": 2}]
    assert "ann.k" in other.read_text() and "ann.k" in stranger.read_text()
