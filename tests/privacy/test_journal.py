"""The erasure journal survives a crash in the middle of an append."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opencdp.config import load_settings
from opencdp.privacy.journal import JournalEntry, append, entries, journal_path

WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)


def entry(n: int) -> JournalEntry:
    return JournalEntry(f"pr_{n}", WHEN, (f"{n:064x}",))


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, data_dir=tmp_path / "data")


@pytest.mark.parametrize("cut", [1, 20, 45, -2])
def test_a_torn_last_line_does_not_swallow_the_next_entry(settings, cut):
    """A crash while appending pr_2 leaves a fragment without its newline; pr_2's erasure
    had not committed, so it runs again and appends itself, then pr_3 comes. Both stay
    readable (before the fix, pr_2 was glued to the fragment and lost)."""
    append(settings, entry(1))
    path = journal_path(settings)
    whole = path.read_bytes()
    append(settings, entry(2))
    line = path.read_bytes()[len(whole):]
    path.write_bytes(whole + line[:cut])  # the torn write
    assert [e.request_id for e in entries(settings)] == ["pr_1"]

    assert append(settings, entry(2)) is True
    assert append(settings, entry(3)) is True
    assert [e.request_id for e in entries(settings)] == ["pr_1", "pr_2", "pr_3"]
    assert path.read_bytes().count(b"\n") == 3


def test_a_whole_line_missing_only_its_newline_is_kept(settings):
    append(settings, entry(1))
    path = journal_path(settings)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert append(settings, entry(1)) is False, "already recorded"
    assert append(settings, entry(2)) is True
    assert [e.request_id for e in entries(settings)] == ["pr_1", "pr_2"]


def test_appending_twice_records_once(settings):
    assert append(settings, entry(1)) is True
    assert append(settings, entry(1)) is False
    assert len(entries(settings)) == 1
    assert oct(journal_path(settings).stat().st_mode & 0o777) == "0o600"
