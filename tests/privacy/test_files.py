"""Rewriting destination files without a person's rows, in each format opencdp writes."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pyarrow.parquet as pq

from opencdp.activate.files import file_name, write_csv, write_jsonl, write_parquet
from opencdp.activate.matching import hashed
from opencdp.privacy.files import (
    destination_files,
    needles,
    remember_folders,
    remembered_folders,
    scrub_destinations,
    scrub_file,
)
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
    changed, failed = scrub_destinations([("crm file", "file", {"path": str(tmp_path)}),
                                          ("hook", "webhook", {"url": "http://x"})],
                                         needles(ANN))  # fmt: skip
    assert changed == [{"destination": "crm file", "file": str(mine), "rows_removed": 2}]
    assert failed == []
    assert "ann.k" in other.read_text() and "ann.k" in stranger.read_text()


def test_cells_are_matched_by_the_column_they_are_in(tmp_path):
    """Erasing `user_id:42` must not remove everyone aged 42 or living at number 42; only
    the profile id, e-mail and phone columns mark a row as the person's."""
    person = Subject(["prof_ann"], [("user_id", "42"), ("email", "ann.k@siam-mail.co.th"),
                                    ("customer_id", "C1")], live=1)  # fmt: skip
    headers = ["profile_id", "change", "age", "house", "customer_id", "note"]
    rows = [
        ["prof_bob", "entered", "42", "42", "C1", "ann.k@siam-mail.co.th wrote in"],
        ["prof_cat", "entered", "31", "7", "C2", "prof_ann"],
        ["prof_ann", "entered", "42", "9", "C1", ""],
    ]
    path = write_csv(tmp_path / "f.csv", headers, rows)
    assert scrub_file(path, needles(person)) == 1
    assert [r[0] for r in csv.reader(path.open(newline=""))][1:] == ["prof_bob", "prof_cat"]
    jsonl = write_jsonl(tmp_path / "f.jsonl", [
        {"profile_id": "prof_bob", "traits": {"age": "42", "note": "prof_ann"}},
        {"profile_id": "prof_cat", "traits": {"work_email": "ANN.K@siam-mail.co.th"}},
    ])  # fmt: skip
    assert scrub_file(jsonl, needles(person)) == 1
    assert json.loads(jsonl.read_text())["profile_id"] == "prof_bob"


def test_a_ragged_csv_someone_edited_is_scrubbed_row_by_row(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("profile_id,change,email\n"
                    "prof_bob,entered,bob@x.co\n"
                    "prof_x,entered,ann.k@siam-mail.co.th,extra\n"
                    "prof_cat,updated\n", encoding="utf-8")  # fmt: skip
    assert scrub_file(path, needles(ANN)) == 1
    assert path.read_text().splitlines() == ["profile_id,change,email", "prof_bob,entered,bob@x.co",
                                             "prof_cat,updated"]  # fmt: skip


def test_a_file_that_cannot_be_read_is_reported_without_its_content(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5)
    good = write_csv(tmp_path / file_name("crm", now, "full", "csv"), HEADERS, ROWS)
    broken = tmp_path / file_name("crm", now, "full", "parquet")
    broken.write_bytes(b"PAR1 ann.k@siam-mail.co.th not parquet at all")
    undecodable = tmp_path / file_name("crm", now, "incremental", "csv")
    undecodable.write_bytes(b"profile_id,email\nprof_ann,ann.k@siam-mail.co.th\n\xff\xfe\n")
    changed, failed = scrub_destinations([("crm", "file", {"path": str(tmp_path)})],
                                         needles(ANN))  # fmt: skip
    assert [c["file"] for c in changed] == [str(good)], "the readable file is still done"
    assert sorted(f["file"] for f in failed) == sorted([str(broken), str(undecodable)])
    assert all("ann.k" not in f["error"] and "siam" not in f["error"] for f in failed)
    assert all(f["error"].split(":")[0] in ("ArrowInvalid", "UnicodeDecodeError", "OSError")
               for f in failed), failed  # fmt: skip


def test_folders_of_deleted_and_moved_destinations_are_remembered(tmp_path):
    data_dir = tmp_path / "data"
    old, new = tmp_path / "old", tmp_path / "new"
    remember_folders(data_dir, [("crm", "file", {"path": str(old)}),
                                ("hook", "webhook", {"url": "http://x"})])  # fmt: skip
    remember_folders(data_dir, [("crm", "file", {"path": str(old)}),
                                ("crm", "file", {"path": str(new)})])  # fmt: skip
    assert remembered_folders(data_dir) == [("crm", "file", {"path": str(old)}),
                                            ("crm", "file", {"path": str(new)})]  # fmt: skip
