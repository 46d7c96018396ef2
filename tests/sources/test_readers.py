"""Reading real files in every format and encoding customers send."""

from __future__ import annotations

import gzip
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencdp.sources.encodings import detect_encoding
from opencdp.sources.readers import UnreadableFile, open_file


def rows(stream):
    return [row for batch in stream.batches for row in batch.to_pylist()]


JAPANESE = "顧客番号,氏名,メール\n1,田中 太郎,taro@example.jp\n2,山田 花子,hanako@example.jp\n"
THAI = "รหัสลูกค้า,ชื่อ,อีเมล\n1,สมชาย ใจดี,somchai@example.co.th\n2,สมหญิง รักไทย,somying@example.co.th\n"


@pytest.mark.parametrize(
    ("text", "encoding", "detected"),
    [
        (JAPANESE, "cp932", "cp932"),
        (JAPANESE, "shift_jis", "cp932"),
        (THAI, "tis-620", "cp874"),
        (THAI, "cp874", "cp874"),
        ("id,name\n1,Zoë Müller\n2,François Señor\n", "cp1252", "cp1252"),
        (JAPANESE, "utf-8", "utf-8"),
        (JAPANESE, "utf-8-sig", "utf-8-sig"),
    ],
)
def test_encodings_are_detected_and_text_survives(tmp_path, text, encoding, detected):
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_encoding(path) == detected
    stream = open_file(path)
    header = text.splitlines()[0].split(",")
    assert stream.columns == header, "a BOM never leaks into the first column name"
    expected = [dict(zip(header, line.split(","), strict=True)) for line in text.splitlines()[1:]]
    assert rows(stream) == expected


def test_declared_encoding_wins(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(THAI.encode("cp874"))
    assert rows(open_file(path, encoding="cp874"))[0]["ชื่อ"] == "สมชาย ใจดี"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_quotes_and_newlines_in_values(tmp_path, delimiter):
    d = delimiter
    text = (f'id{d}name{d}note\n1{d}"Smith{d} Jr."{d}"line one\nline two"\n'
            f'2{d}O\'Neil{d}"said ""hi"""\n')  # fmt: skip
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    stream = open_file(path)
    assert stream.delimiter == d
    assert rows(stream) == [
        {"id": "1", "name": f"Smith{d} Jr.", "note": "line one\nline two"},
        {"id": "2", "name": "O'Neil", "note": 'said "hi"'},
    ]


def test_header_variations_blank_and_repeated_names(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(" Email , ,Email\na@x.com,b,c\n", encoding="utf-8")
    stream = open_file(path)
    assert stream.columns == ["Email", "column_2", "Email_2"]


def test_broken_rows_are_reported_not_dropped(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("id,email\n1,a@x.com\n2,b@x.com,extra,fields\n3,c@x.com\n", encoding="utf-8")
    stream = open_file(path)
    assert [r["id"] for r in rows(stream)] == ["1", "3"]
    (bad,) = stream.bad_rows
    assert "4 fields" in bad.reason and "2" in bad.reason and "b@x.com" in bad.text


def test_values_stay_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("zip,phone,amount\n00123,0812345678,1.50\n", encoding="utf-8")
    assert rows(open_file(path)) == [{"zip": "00123", "phone": "0812345678", "amount": "1.50"}]


def test_tsv_and_empty_values(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\t\n", encoding="utf-8")
    assert rows(open_file(path)) == [{"a": "1", "b": None}]


def test_jsonl_with_nested_values_and_bad_lines(tmp_path):
    path = tmp_path / "e.jsonl"
    lines = [json.dumps({"id": 1, "tags": ["a"], "who": {"email": "a@x"}}), "{not json",
             json.dumps([1, 2]), json.dumps({"id": 2, "late": True})]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stream = open_file(path)
    got = rows(stream)
    assert got[0]["id"] == "1" and json.loads(got[0]["tags"]) == ["a"]
    assert got[1]["late"] == "True" and got[1]["tags"] is None
    assert [b.row_number for b in stream.bad_rows] == [2, 3]


def test_parquet_any_types_become_text(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": [1, 2], "price": [9.5, None], "name": ["ไทย", "日本"]}), path)
    assert rows(open_file(path)) == [
        {"id": "1", "price": "9.5", "name": "ไทย"},
        {"id": "2", "price": None, "name": "日本"},
    ]


def test_excel_first_sheet(tmp_path):
    path = tmp_path / "x.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "name", "joined"])
    sheet.append([7, "山田", "2024-01-02"])
    sheet.append([None, None, None])
    sheet.append([8.0, "สมชาย", None])
    book.save(path)
    assert rows(open_file(path)) == [
        {"customer_id": "7", "name": "山田", "joined": "2024-01-02"},
        {"customer_id": "8", "name": "สมชาย", "joined": None},
    ]


def test_unreadable_files_say_why(tmp_path):
    with pytest.raises(UnreadableFile, match="no such file"):
        open_file(tmp_path / "missing.csv")
    weird = tmp_path / "data.bin"
    weird.write_bytes(gzip.compress(b"x"))
    with pytest.raises(UnreadableFile, match="cannot tell the format"):
        open_file(weird)
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(UnreadableFile, match="Parquet"):
        open_file(bad)


def test_large_file_streams_in_batches(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,email\n")
        for i in range(120_000):
            out.write(f"{i},p{i}@example.com\n")
    stream = open_file(path, batch_rows=50_000)
    sizes = [b.num_rows for b in stream.batches]
    assert sum(sizes) == 120_000 and max(sizes) <= 50_000 and len(sizes) >= 3
