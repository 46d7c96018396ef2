"""The outcome of a linkage run: scored pairs, the model that scored them, and blocking counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from opencdp.identity.matching.blocking import RuleReport
from opencdp.identity.matching.comparisons import gamma_column
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.scoring import Explanation, explain


@dataclass(frozen=True)
class MatchResult:
    """Pairs (record_id_l < record_id_r) at or above the review threshold, best first.

    Columns: record_id_l, record_id_r, source_l, source_r, match_weight, match_probability,
    decision, one `g_<field>` agreement level per comparison, and name_tf.
    """

    pairs: pa.Table
    model: MatchModel
    candidate_pairs: int
    """Pairs compared after blocking (all scored, even those not kept in `pairs`)."""
    blocking: tuple[RuleReport, ...]

    def explain(self, pair: tuple[str, str]) -> Explanation:
        """Why two records scored as they did; either order of the two ids works."""
        left, right = sorted(pair)
        hit = self.pairs.filter(
            pc.and_(pc.equal(self.pairs["record_id_l"], left),
                    pc.equal(self.pairs["record_id_r"], right))
        )  # fmt: skip
        if hit.num_rows == 0:
            raise KeyError(f"pair {pair!r} was not kept (not a candidate, or under review)")
        row = hit.slice(0, 1).to_pylist()[0]
        levels = {c.field: row[gamma_column(c)] for c in self.model.settings.comparisons}
        return explain(self.model, levels, row["name_tf"])

    def decisions(self) -> dict[str, int]:
        """How many kept pairs fell into each decision."""
        return dict(Counter(self.pairs["decision"].to_pylist()))
