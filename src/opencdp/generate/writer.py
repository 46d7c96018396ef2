"""The base of every source writer: its own random stream, corruptor, sink and truth rows."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from opencdp.generate.config import CorruptionRates
from opencdp.generate.corruption import Corruptor
from opencdp.generate.people import Person
from opencdp.generate.purchases import Purchase
from opencdp.generate.sinks import CsvSink, JsonlSink
from opencdp.generate.truth import GroundTruth


@dataclass
class WriterContext:
    """What a source writer needs from the run."""

    out_dir: Path
    seed: int
    rates: CorruptionRates
    coverage: float
    truth: GroundTruth
    limit: int | None = None


SinkT = TypeVar("SinkT", CsvSink, JsonlSink)


class SourceWriter(ABC, Generic[SinkT]):
    """One source file: decides who appears in it and writes their records, with truth rows."""

    source: ClassVar[str]
    file_name: ClassVar[str]
    record_id: ClassVar[str]
    """The column (or JSON key) holding the source record id the ground truth refers to."""

    def __init__(self, ctx: WriterContext) -> None:
        self.ctx = ctx
        self.rates = ctx.rates
        self.rng = random.Random(f"{ctx.seed}:{self.source}")  # noqa: S311 - synthetic data, not secrets
        self.corrupt = Corruptor(self.rng, ctx.rates)
        self.truth = ctx.truth
        self.sink: SinkT = self.open(ctx.out_dir / self.file_name, ctx.limit)

    @abstractmethod
    def open(self, path: Path, limit: int | None) -> SinkT: ...

    @abstractmethod
    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        """Write this person's records (if they appear in this source)."""

    @property
    def rows(self) -> int:
        return self.sink.rows

    @property
    def full(self) -> bool:
        return self.sink.full

    def close(self) -> None:
        self.sink.close()


class CsvSourceWriter(SourceWriter[CsvSink]):
    """A source written as one CSV file with a fixed `header`."""

    header: ClassVar[tuple[str, ...]]

    def open(self, path: Path, limit: int | None) -> CsvSink:
        return CsvSink(path, self.header, limit)
