"""Scoring a clustering against the generator's ground truth: pairwise and cluster figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from math import comb
from typing import Any


def pairwise_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, Any]:
    """Precision, recall and F1 over record pairs; `predicted` and `truth` map record → cluster.

    Counted from contingency tables, not by listing pairs, so a million records is cheap.
    Records missing from `predicted` count as singletons.
    """
    records = list(truth)
    predicted_of = {r: predicted.get(r) or f"singleton:{r}" for r in records}
    both = Counter((predicted_of[r], truth[r]) for r in records)
    true_positive = sum(comb(n, 2) for n in both.values())
    predicted_pairs = sum(comb(n, 2) for n in Counter(predicted_of.values()).values())
    true_pairs = sum(comb(n, 2) for n in Counter(truth.values()).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sizes = Counter(predicted_of.values())
    biggest_share: dict[str, int] = {}
    for (cluster, _), n in both.items():
        biggest_share[cluster] = max(n, biggest_share.get(cluster, 0))
    pure = sum(1 for cluster, n in sizes.items() if biggest_share[cluster] == n)
    return {
        "records": len(records), "true_pairs": true_pairs, "predicted_pairs": predicted_pairs,
        "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "clusters": len(sizes), "people": len(set(truth.values())),
        "largest_cluster": max(sizes.values(), default=0),
        "pure_clusters": pure,
    }  # fmt: skip
