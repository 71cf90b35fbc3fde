"""Ranking metrics for one relevant item per query."""
from __future__ import annotations

import numpy as np

__all__ = ["ranks", "summarise"]


def ranks(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Return the 1-based rank of each query's relevant item (ties count against it).

    Args:
        scores: (n_queries, n_items) scores, higher is better.
        gold: (n_queries,) index of the relevant item of each query.
    """
    gold_scores = scores[np.arange(len(gold)), gold][:, None]
    return (scores > gold_scores).sum(axis=1) + (scores == gold_scores).sum(axis=1)


def summarise(rank: np.ndarray, k: int = 10) -> dict[str, float]:
    """Return MRR, Recall@k and nDCG@k from the ranks of the relevant items."""
    rank = np.asarray(rank, dtype=np.float64)
    return {
        "MRR": float(np.mean(1.0 / rank)),
        f"R@{k}": float(np.mean(rank <= k)),
        f"nDCG@{k}": float(np.mean(np.where(rank <= k, 1.0 / np.log2(rank + 1.0), 0.0))),
    }
