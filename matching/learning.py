"""Learn the scoring weights from what happened after matches (issue 17).

The product ranks with `combine(scores, weights)` (`matching.scoring`); what can be learnt
without changing that shape is the weights. Given the matches people were shown, with the
per-dimension scores they had then and whether the pair went on to a good outcome (an
interview or a hire), `fit_weights` finds the weights under which the combined score best
predicts those outcomes: a logistic model P(outcome) = sigmoid(a * combine(s, w) + b),
fitted by maximum likelihood (SciPy's L-BFGS-B), pulled towards the weights in use so that
little evidence moves them little. `decide` validates on time: it fits on the older events
and compares both weightings on the newer ones by how well each orders the top of every
list, where employers read (NDCG@10 with a gain of 1 for a pair that came to an interview or
a hire, averaged over lists with one and one without), with a bootstrap over lists for the
uncertainty.

Pure: arrays and mappings in, weights and figures out.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from .scoring import RELEVANCE

__all__ = ["DIMENSIONS", "TOP", "Decision", "Example", "Fit", "combine_many", "decide", "fit_weights", "ndcg_by_list",
           "time_split", "weights_name"]

TOP = 10   # the top of a list, as an employer reads it (NDCG@TOP)
DIMENSIONS = ("semantic", "skills", "occupation", "experience", "language", "location", "education", "eligibility")
_IS_RELEVANCE = np.array([d in RELEVANCE for d in DIMENSIONS])


def weights_name(weights: Mapping[str, float]) -> str:
    """The name of a set of hand-set weights (`config/scoring.toml`): a change of any value
    is another model, so a stored match says which weights combined its scores."""
    digest = hashlib.sha256(json.dumps(sorted((k, float(v)) for k, v in weights.items())).encode()).hexdigest()
    return f"weights-{digest[:10]}"


@dataclass(frozen=True)
class Example:
    """One match someone was shown, and whether it came to a good outcome.

    Attributes:
        list_id: the list it was shown in ("vacancy:12": an employer's candidates,
            "profile:7": a person's vacancies); ranking quality is measured per list.
        scores: the per-dimension scores when it was shown (a dimension left out of a pair
            is absent).
        good: it came to an interview or a hire.
        at: when it was shown.
    """

    list_id: str
    scores: Mapping[str, float]
    good: bool
    at: datetime


def _matrix(examples: Sequence[Example]) -> np.ndarray:
    """(n, len(DIMENSIONS)) scores, NaN where a dimension is absent."""
    out = np.full((len(examples), len(DIMENSIONS)), np.nan)
    for i, e in enumerate(examples):
        for j, d in enumerate(DIMENSIONS):
            value = e.scores.get(d)
            if value is not None:
                out[i, j] = float(value)
    return out


def combine_many(scores: np.ndarray, weights: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """`matching.scoring.combine` for many rows at once.

    Args:
        scores: (n, len(DIMENSIONS)), NaN for an absent dimension.
        weights: per dimension (a mapping, or an array in `DIMENSIONS` order).

    Returns:
        (n,) combined scores, equal to `combine` row by row.
    """
    w = np.array([weights.get(d, 0.0) for d in DIMENSIONS]) if isinstance(weights, Mapping) else np.asarray(weights)
    present = ~np.isnan(scores)
    s = np.where(present, scores, 0.0)
    wp = present * w
    w_r, w_c = (wp * _IS_RELEVANCE).sum(1), (wp * ~_IS_RELEVANCE).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        relevance = np.where(w_r > 0, (s * wp * _IS_RELEVANCE).sum(1) / w_r, 0.0)
        context = np.where(w_c > 0, (s * wp * ~_IS_RELEVANCE).sum(1) / w_c, 0.0)
        both = np.where(w_r + w_c > 0, relevance * (w_r + w_c * context) / (w_r + w_c), 0.0)
    return np.where(w_r > 0, both, context)


@dataclass(frozen=True)
class Fit:
    """Weights learnt from outcomes (same scale as the weights they started from), and the
    logistic link from combined score to the chance of a good outcome."""

    weights: dict[str, float]
    scale: float
    bias: float
    examples: int
    good: int

    def probability(self, combined: np.ndarray) -> np.ndarray:
        """The chance of a good outcome at these combined scores."""
        return 1.0 / (1.0 + np.exp(-(self.scale * combined + self.bias)))


def fit_weights(examples: Sequence[Example], start: Mapping[str, float], prior: float = 20.0) -> Fit:
    """Fit the weights to the outcomes.

    Args:
        examples: matches shown, with their outcome (at least one good and one not).
        start: the weights in use: where the fit starts, and what it is pulled towards.
        prior: how many examples' worth of belief the weights in use carry (a penalty on
            the log-ratio of each weight to its start); 0 for none.

    Returns:
        The fit; its weights sum to what `start`'s do.
    """
    from scipy.optimize import minimize

    x = _matrix(examples)
    y = np.array([e.good for e in examples], dtype=float)
    if not 0 < y.sum() < len(y):
        raise ValueError("need at least one good outcome and one other")
    w0 = np.array([max(start.get(d, 0.0), 1e-3) for d in DIMENSIONS])
    total = float(sum(start.get(d, 0.0) for d in DIMENSIONS))
    n = len(y)

    def loss(theta: np.ndarray) -> float:
        w = np.exp(theta[:-2])
        z = theta[-2] * combine_many(x, w) + theta[-1]
        # log(1 + e^z) - y z, stably
        nll = np.mean(np.logaddexp(0.0, z) - y * z)
        return float(nll + prior / n * np.sum((theta[:-2] - np.log(w0)) ** 2) / len(w0))

    base = y.mean()
    theta0 = np.r_[np.log(w0), 4.0, math.log(base / (1 - base)) - 2.0]
    best = minimize(loss, theta0, method="L-BFGS-B",
                    bounds=[(math.log(1e-4), math.log(1e3))] * len(w0) + [(0.0, 100.0), (-50.0, 50.0)])
    w = np.exp(best.x[:-2])
    w = w / w.sum() * total
    return Fit({d: round(float(v), 4) for d, v in zip(DIMENSIONS, w, strict=True)}, float(best.x[-2]),
               float(best.x[-1]), n, int(y.sum()))


def _ndcg(scores: np.ndarray, good: np.ndarray, k: int = TOP) -> float:
    """NDCG@k of a list ordered by `scores` (ties: first posted first), gains 1 for good pairs."""
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, len(good) + 2))
    ideal = discounts[:min(k, int(good.sum()))].sum()
    return float((good[order] * discounts[:len(order)]).sum() / ideal)


def ndcg_by_list(examples: Sequence[Example], weights: Mapping[str, float], k: int = TOP) -> dict[str, float]:
    """Per list with a good outcome and one without: NDCG@k of the combined score."""
    combined = combine_many(_matrix(examples), weights)
    by_list: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_list.setdefault(e.list_id, []).append(i)
    out = {}
    for list_id, rows in by_list.items():
        good = np.array([examples[i].good for i in rows], dtype=float)
        if 0 < good.sum() < len(good):
            out[list_id] = _ndcg(combined[rows], good, k)
    return out


def time_split(examples: Sequence[Example], share: float = 0.7) -> tuple[list[Example], list[Example]]:
    """The older `share` of the examples (by when they were shown) and the newer rest."""
    ordered = sorted(examples, key=lambda e: e.at)
    cut = int(len(ordered) * share)
    return ordered[:cut], ordered[cut:]


@dataclass(frozen=True)
class Decision:
    """Whether learnt weights should replace the ones in use, and the figures behind it."""

    weights: dict[str, float] | None   # learnt on the older events (None: too few to learn)
    current_ndcg: float | None         # on the newer events, mean NDCG@TOP over lists
    learned_ndcg: float | None
    gain: float | None
    gain_low: float | None             # the bootstrap's 5th percentile of the gain
    train: int = 0
    test: int = 0
    test_lists: int = 0
    good: int = 0
    accepted: bool = False
    why: str = ""
    reason: str = ""   # a code for pages in every language: too_few_outcomes, too_few_lists, better, not_better
    fit: Fit | None = field(default=None, repr=False)


def decide(examples: Sequence[Example], current: Mapping[str, float], *, min_gain: float, min_good: int,
           min_lists: int, share: float = 0.7, rounds: int = 500, seed: int = 0) -> Decision:
    """Fit on the older events, compare on the newer; accept only a gain of at least
    `min_gain` in mean NDCG@10 whose bootstrap 5th percentile is above zero.

    Args:
        examples: every match shown with its outcome.
        current: the weights in use.
        min_gain: the smallest gain in mean NDCG@10 (newer events) worth a change.
        min_good: the fewest good outcomes among the older events to learn from.
        min_lists: the fewest lists among the newer events to judge by.
        share: the older share of the events, to learn from.
        rounds: bootstrap rounds (lists resampled).
        seed: the bootstrap's seed (the decision is reproducible).
    """
    train, test = time_split(examples, share)
    good = sum(e.good for e in train)
    if good < min_good or good == len(train):
        return Decision(None, None, None, None, None, len(train), len(test), 0, good,
                        why=f"too few outcomes to learn from ({good} good of {len(train)}; at least {min_good})",
                        reason="too_few_outcomes")
    fit = fit_weights(train, current)
    before, after = ndcg_by_list(test, current), ndcg_by_list(test, fit.weights)
    lists = sorted(before)
    if len(lists) < min_lists:
        return Decision(fit.weights, None, None, None, None, len(train), len(test), len(lists), good,
                        why=f"too few newer lists to judge by ({len(lists)}; at least {min_lists})", fit=fit,
                        reason="too_few_lists")
    diff = np.array([after[k] - before[k] for k in lists])
    rng = np.random.default_rng(seed)
    boot = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(1)
    gain, low = float(diff.mean()), float(np.quantile(boot, 0.05))
    accepted = gain >= min_gain and low > 0
    why = ("better on the newer events" if accepted else
           f"not better enough on the newer events (gain {gain:+.3f}, 5th percentile {low:+.3f}; "
           f"needs at least {min_gain:+.3f} and above zero)")
    return Decision(fit.weights, float(np.mean([before[k] for k in lists])), float(np.mean([after[k] for k in lists])),
                    gain, low, len(train), len(test), len(lists), good, accepted, why, "better" if accepted else "not_better",
                    fit)
