"""One generation run: the people stream fanned out to every chosen source writer.

People are drawn one at a time and handed to each writer, which streams its rows to disk,
so memory stays flat whatever N is. Each writer and each shared stream (people, purchases)
has its own seeded random, so output is byte-identical for the same seed and settings, and
a source's file does not change when other sources are switched on or off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opencdp.generate.campaigns import EmailWriter
from opencdp.generate.config import LOCALES, SOURCES, CorruptionRates, Coverage, GeneratorConfig
from opencdp.generate.crm import CrmWriter
from opencdp.generate.events import EventsWriter
from opencdp.generate.orders import OrdersWriter
from opencdp.generate.people import PeopleFactory
from opencdp.generate.pools import pools_for
from opencdp.generate.purchases import PurchaseFactory
from opencdp.generate.social import SocialWriter
from opencdp.generate.surveys import SurveysWriter
from opencdp.generate.tickets import TicketsWriter
from opencdp.generate.truth import GroundTruth
from opencdp.generate.writer import SourceWriter, WriterContext

WRITERS: dict[str, type[SourceWriter[Any]]] = {
    "events": EventsWriter,
    "crm": CrmWriter,
    "orders": OrdersWriter,
    "email": EmailWriter,
    "tickets": TicketsWriter,
    "surveys": SurveysWriter,
    "social": SocialWriter,
}
NEEDS_PURCHASES = {"events", "orders", "tickets", "surveys"}
MANIFEST = "manifest.json"
PROGRESS_EVERY = 1000

Progress = Callable[[int], None]
"""Called with the number of people (or rows, in row mode) done since the last call."""


@dataclass
class GenerationSummary:
    """What a run wrote: rows per file (CSV rows without header, JSONL lines)."""

    out_dir: Path
    people: int
    seed: int
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def people_per_second(self) -> float:
        return self.people / self.seconds if self.seconds else 0.0


def generate(
    out_dir: Path,
    people: int,
    seed: int,
    *,
    locales: Sequence[str] = LOCALES,
    sources: Sequence[str] = SOURCES,
    rates: CorruptionRates | None = None,
    coverage: Coverage | None = None,
    contacts: int | None = None,
    orders: int | None = None,
    truth: bool = True,
    progress: Progress | None = None,
) -> GenerationSummary:
    """Write synthetic multi-source customer data for `people` people into `out_dir`.

    With `contacts` and/or `orders` (row mode) only those files are written, with exactly that
    many rows, drawing as many people as it takes; `people` and `sources` are then ignored.
    """
    config = GeneratorConfig(
        people=people,
        seed=seed,
        locales=tuple(locales),
        sources=tuple(sources),
        rates=rates or CorruptionRates(),
        coverage=coverage or Coverage(),
        contacts=contacts,
        orders=orders,
        truth=truth,
    )
    return run(config, Path(out_dir), progress)


def run(
    config: GeneratorConfig, out_dir: Path, progress: Progress | None = None
) -> GenerationSummary:
    """Run one generation; `generate` is the keyword-argument front door to this."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    langs = tuple(lang for lang in LOCALES if lang in config.locales)
    factory = PeopleFactory(config.seed, pools_for(langs), langs, config.rates)
    ground_truth = GroundTruth(out_dir, enabled=config.truth)
    active = config.active_sources
    writers = [
        WRITERS[name](
            WriterContext(
                out_dir,
                config.seed,
                config.rates,
                _coverage(config, name),
                ground_truth,
                config.limit(name),
            )
        )
        for name in active
    ]
    purchases = PurchaseFactory(config.seed, _coverage(config, "orders"))
    need_purchases = bool(NEEDS_PURCHASES & set(active))
    limited = [w for w in writers if w.ctx.limit is not None]
    count = reported = 0
    try:
        for person in factory:
            if limited:
                if all(w.full for w in limited):
                    break
            elif count >= config.people:
                break
            bought = purchases.for_person(person) if need_purchases else []
            for writer in writers:
                if not writer.full:
                    writer.write(person, bought)
            ground_truth.person(person)
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                done = sum(w.rows for w in limited) if limited else count
                progress(done - reported)
                reported = done
    finally:
        for writer in writers:
            writer.close()
        ground_truth.close()
    if progress is not None:
        progress((sum(w.rows for w in limited) if limited else count) - reported)
    files = {w.file_name: w.rows for w in writers} | ground_truth.rows
    _write_manifest(out_dir, config, count, files)
    return GenerationSummary(out_dir, count, config.seed, files, time.perf_counter() - started)


def _coverage(config: GeneratorConfig, source: str) -> float:
    """In row mode every person drawn appears in the counted files (rows come faster)."""
    return 1.0 if config.limit(source) is not None else config.coverage.of(source)


def _write_manifest(
    out_dir: Path, config: GeneratorConfig, people: int, files: dict[str, int]
) -> None:
    """Settings and counts beside the data (no times or paths, so it is reproducible too)."""
    record_ids = {
        WRITERS[name].file_name: WRITERS[name].record_id for name in config.active_sources
    }
    manifest = {
        "generator": "opencdp.generate",
        "seed": config.seed,
        "people": people,
        "locales": list(config.locales),
        "sources": list(config.active_sources),
        "rates": vars(config.rates),
        "coverage": vars(config.coverage),
        "files": files,
        "record_ids": record_ids,
        "row_mode": {"contacts": config.contacts, "orders": config.orders}
        if config.row_mode
        else None,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    (out_dir / MANIFEST).write_text(text, encoding="utf-8")
