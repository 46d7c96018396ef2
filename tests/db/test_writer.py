"""The single writer: group commits, isolation of failures, back-pressure."""

from __future__ import annotations

import threading

import duckdb
import pytest

from opencdp.db.writer import Writer, WriterSaturated, WriterStopped


class Recording:
    """A handler that inserts its payloads and records how they were grouped."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.groups: list[list[int]] = []
        self.published: list[list[int]] = []
        self.gate = gate

    def apply(self, con, payloads):
        if self.gate is not None:
            self.gate.wait()
        self.groups.append(list(payloads))
        for p in payloads:
            if p < 0:
                raise ValueError("negative")
            con.execute("INSERT INTO t VALUES (?)", [p])
        return [p * 10 for p in payloads], lambda: self.published.append(list(payloads))


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    c.execute("CREATE TABLE t (v INTEGER)")
    return c


def stored(con):
    return sorted(r[0] for r in con.cursor().execute("SELECT v FROM t").fetchall())


def test_queued_jobs_share_one_commit(con):
    gate = threading.Event()
    handler = Recording(gate)
    writer = Writer(con, max_pending=1000, max_commit=1000)
    writer.start()
    first = writer.submit(handler, 1)
    # while the first job's apply waits on the gate, more jobs queue up behind it
    more = [writer.submit(handler, n) for n in range(2, 6)]
    gate.set()
    assert [f.result(timeout=10) for f in [first, *more]] == [10, 20, 30, 40, 50]
    assert sum(len(g) for g in handler.groups) == 5
    assert len(handler.groups) <= 2
    assert stored(con) == [1, 2, 3, 4, 5]
    writer.stop()


def test_a_failing_job_fails_alone(con):
    gate = threading.Event()
    handler = Recording(gate)
    writer = Writer(con, max_pending=1000, max_commit=1000)
    futures = [writer.submit(handler, n) for n in (1, -1, 2)]
    writer.start()
    gate.set()
    assert futures[0].result(timeout=10) == 10
    assert futures[2].result(timeout=10) == 20
    with pytest.raises(ValueError, match="negative"):
        futures[1].result(timeout=10)
    assert stored(con) == [1, 2], "the failed group was rolled back and retried job by job"
    assert [1, -1, 2] not in handler.published
    writer.stop()


def test_back_pressure_refuses_work_beyond_the_limit(con):
    gate = threading.Event()
    handler = Recording(gate)
    writer = Writer(con, max_pending=100, max_commit=1000)
    writer.submit(handler, 1, weight=60)
    with pytest.raises(WriterSaturated):
        writer.submit(handler, 2, weight=60)
    writer.start()
    gate.set()
    writer.stop()
    with pytest.raises(WriterStopped):
        writer.submit(handler, 3)


def test_oversized_job_is_accepted_when_queue_is_empty(con):
    writer = Writer(con, max_pending=10, max_commit=10)
    writer.start()
    assert writer.submit(Recording(), 7, weight=500).result(timeout=10) == 70
    writer.stop()
