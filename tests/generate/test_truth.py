"""The ground truth covers every record of every file, and only those."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from opencdp.generate import WRITERS
from tests.generate.conftest import read_csv, read_jsonl


def truth_by_source(dataset: Path) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(source, record_type) → record id → person ids."""
    out: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in read_csv(dataset / "ground_truth.csv"):
        out[row["source"], row["record_type"]][row["record_id"]].add(row["person_id"])
    return out


def record_ids(dataset: Path, source: str) -> set[str]:
    writer = WRITERS[source]
    path = dataset / writer.file_name
    if path.suffix == ".jsonl":
        return {str(obj[writer.record_id]) for obj in read_jsonl(path)}
    return {row[writer.record_id] for row in read_csv(path)}


def test_every_record_of_every_file_has_exactly_one_person(dataset: Path) -> None:
    truth = truth_by_source(dataset)
    people = {row["person_id"] for row in read_csv(dataset / "people.csv")}
    for source in WRITERS:
        ids = record_ids(dataset, source)
        known = truth[source, "record"]
        assert ids, source
        assert ids == set(known), source
        assert all(len(owners) == 1 and owners <= people for owners in known.values()), source


def test_event_identifiers_are_in_the_truth(dataset: Path) -> None:
    truth = truth_by_source(dataset)
    anonymous = truth["events", "anonymous_id"]
    users = truth["events", "user_id"]
    messages = list(read_jsonl(dataset / "events.jsonl"))
    assert {m["anonymousId"] for m in messages if "anonymousId" in m} == set(anonymous)
    junk = {"null", "undefined", "0", "anonymous"}
    assert {m["userId"] for m in messages if m.get("userId") not in (None, *junk)} == set(users)
    assert all(len(owners) == 1 for owners in users.values())
    owner = {mid: next(iter(p)) for mid, p in truth["events", "record"].items()}
    for m in messages:  # the message's sender used that anonymousId
        if "anonymousId" in m:
            assert owner[m["messageId"]] in anonymous[m["anonymousId"]]


def test_social_handles_are_in_the_truth(dataset: Path) -> None:
    handles = truth_by_source(dataset)["social", "handle"]
    seen = {f"{p['platform']}:{p['handle']}" for p in read_jsonl(dataset / "social.jsonl")}
    assert seen == set(handles)
