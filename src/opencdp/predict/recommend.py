"""Next product: item-to-item models over a profiles × items matrix of purchases and views.

EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse data"): the item-item
weights B minimise ‖X − XB‖² + λ‖B‖² with diag(B) = 0, whose closed form is
B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ — one inverse of an items × items matrix.
Item co-occurrence (cosine similarity of item columns) is the alternative for catalogues too
large to invert. A profile's scores are its row of X times B; items it already bought are
excluded when asked. Quality is measured on a time split by recall@k and NDCG@k against
recommending the most popular items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Floats = NDArray[np.float64]
Ranker = Callable[[sparse.csr_matrix], Floats]  # rows of X → scores per item
CHUNK = 20_000


@dataclass(frozen=True)
class ItemModel:
    weights: Floats  # items × items
    algorithm: str
    l2: float = 0.0

    def scores(self, rows: sparse.csr_matrix) -> Floats:
        out: Floats = np.asarray(rows @ self.weights)
        return out


def ease(x: sparse.csr_matrix, l2: float) -> ItemModel:
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    p = np.linalg.inv(gram)
    b = p / -np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return ItemModel(b, "ease", l2)


def cooccurrence(x: sparse.csr_matrix) -> ItemModel:
    binary = (x > 0).astype(np.float64)
    gram = (binary.T @ binary).toarray()
    norms = np.sqrt(np.diag(gram))
    norms[norms == 0] = 1.0
    sim = gram / norms[:, None] / norms[None, :]
    sim[np.diag_indices_from(sim)] = 0.0
    return ItemModel(sim, "cooccurrence")


def popularity(bought: sparse.csr_matrix) -> Floats:
    """How many profiles bought each item (the baseline's ranking)."""
    out: Floats = np.asarray((bought > 0).sum(axis=0), dtype=np.float64).ravel()
    return out


def top_items(rank: Ranker, x: sparse.csr_matrix, k: int,
              exclude: sparse.csr_matrix | None) -> tuple[NDArray[np.int64], Floats]:  # fmt: skip
    """Each row's k best items (by `rank`), leaving out the row's items in `exclude`;
    -1 where fewer than k items are left."""
    n, items = x.shape
    k = min(k, items)
    best = np.full((n, k), -1, dtype=np.int64)
    best_scores = np.full((n, k), np.nan)
    for start in range(0, n, CHUNK):
        rows = x[start:start + CHUNK]
        scores = rank(rows).astype(np.float64, copy=True)
        if exclude is not None:
            block = exclude[start:start + CHUNK].tocoo()
            scores[block.row, block.col] = -np.inf
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        picked = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        idx, val = np.take_along_axis(part, order, axis=1), np.take_along_axis(picked, order, 1)
        valid = np.isfinite(val)
        best[start:start + len(idx)] = np.where(valid, idx, -1)
        best_scores[start:start + len(idx)] = np.where(valid, val, np.nan)
    return best, best_scores


def ranking_quality(recommended: NDArray[np.int64], relevant: sparse.csr_matrix,
                    k: int) -> dict[str, float]:  # fmt: skip
    """Mean recall@k (hits over min(k, relevant items)) and NDCG@k (binary relevance) over
    the rows with at least one relevant item."""
    relevant = relevant.tocsr()
    counts = np.diff(relevant.indptr)
    rows = np.flatnonzero(counts > 0)
    if len(rows) == 0:
        return {"recall": float("nan"), "ndcg": float("nan"), "profiles": 0}
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recall = np.empty(len(rows))
    ndcg = np.empty(len(rows))
    for j, r in enumerate(rows):
        truth = relevant.indices[relevant.indptr[r]:relevant.indptr[r + 1]]
        hits = np.isin(recommended[r, :k], truth)
        recall[j] = hits.sum() / min(k, len(truth))
        ideal = discounts[: min(k, len(truth))].sum()
        ndcg[j] = (hits * discounts[: hits.size]).sum() / ideal
    return {"recall": float(recall.mean()), "ndcg": float(ndcg.mean()), "profiles": len(rows)}
