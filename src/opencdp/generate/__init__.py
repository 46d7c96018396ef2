"""Synthetic multi-source customer data with ground truth, for the demo, tests and benchmarks.

`generate(out_dir, people, seed)` writes web/app events, CRM contacts, shop orders, e-mail
activity, support tickets, survey answers and social interactions for English, Thai and
Japanese speakers, with the mess real data has, plus `ground_truth.csv` saying which records
are the same person. The same seed and settings give byte-identical files. See README.md.

The engine (and Faker with it) loads on first use, so importing the CLI stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opencdp.generate.config import LOCALES, SOURCES, CorruptionRates, Coverage, GeneratorConfig

if TYPE_CHECKING:
    from opencdp.generate.engine import WRITERS, GenerationSummary, generate, run

_ENGINE = ("WRITERS", "GenerationSummary", "generate", "run")

__all__ = [
    "LOCALES",
    "SOURCES",
    "WRITERS",
    "CorruptionRates",
    "Coverage",
    "GenerationSummary",
    "GeneratorConfig",
    "generate",
    "run",
]


def __getattr__(name: str) -> Any:
    if name in _ENGINE:
        from opencdp.generate import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
