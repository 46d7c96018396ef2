"""Probabilistic record linkage (Fellegi–Sunter with EM): the same person across sources
that share no identifier — a CRM contact and a shop customer with a mistyped name, another
phone format, a new address.

Pure core (DuckDB for blocking and comparisons, numpy for EM; no web). Typical use:

    result = match_records(con, records, MatchSettings(link_only_across_sources=True))
    result.pairs                 # record_id_l, record_id_r, match_weight, probability, decision
    result.explain(("C001", "O042"))
    result.model.save(path)      # later: score_records(con, new_records, MatchModel.load(path))
"""

from opencdp.identity.matching.blocking import RuleReport, TooManyPairs
from opencdp.identity.matching.linkage import match_records, score_records
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.prepare import InvalidRecords, Records
from opencdp.identity.matching.result import MatchResult
from opencdp.identity.matching.scoring import (
    Decision,
    Explanation,
    FieldContribution,
    decide,
    explain,
    match_weight,
    probability,
)
from opencdp.identity.matching.settings import (
    DEFAULT_BLOCKING,
    DEFAULT_COMPARISONS,
    BlockingKey,
    BlockingRule,
    Comparison,
    MatchSettings,
)

__all__ = [
    "DEFAULT_BLOCKING",
    "DEFAULT_COMPARISONS",
    "BlockingKey",
    "BlockingRule",
    "Comparison",
    "Decision",
    "Explanation",
    "FieldContribution",
    "InvalidRecords",
    "MatchModel",
    "MatchResult",
    "MatchSettings",
    "Records",
    "RuleReport",
    "TooManyPairs",
    "decide",
    "explain",
    "match_records",
    "match_weight",
    "probability",
    "score_records",
]
