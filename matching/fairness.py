"""Is matching fair to migrants and host-community members, to women and men? (issue 17)

Measured on what people were shown and what came of it, per country of the vacancy and
overall, for two comparisons: migrants (no nationality of the country they live in) against
host-community members, and women against men (self-declared, optional, used for nothing
else). For each:

- exposure: how high each group is shown in employers' candidate lists, as the mean of
  1 / log2(1 + rank) (position-discounted exposure), compared within the same lists;
- interest rate and hire rate among comparable matches: the share of shown pairs that the
  employer went on with (interest, interview or hire) or hired, compared within bands of
  the combined score (a group shown lower is not counted as treated worse for that alone);
  a rate gap matters when it is large in points or when the watched group's rate is under
  four fifths of the reference group's (the four-fifths rule of employment audits);
- score gap at equal skills: the combined score's difference between the groups within
  the same list and band of the skills dimension, with the dimensions that make it.

Every gap comes with its bootstrap standard error (people resampled) and a 95 % interval; a
gap is flagged when it is at least its threshold and significant with the false discovery
rate over every figure of the audit held at 5 % (Benjamini-Hochberg: two dozen gaps are read
at once; without a correction, a fair world would show a "significant" gap every other time). A group with
fewer than `min_count` people in a cell is withheld (the figure could point at one person).

Pure: records in, figures out.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["ATTRIBUTES", "METRICS", "Finding", "Record", "audit", "score_gap"]

# The comparisons: attribute -> (the group watched for disadvantage, the reference group).
ATTRIBUTES = {"migrant": ("migrant", "host"), "gender": ("woman", "man")}
METRICS = ("exposure", "interest_rate", "hire_rate", "score_gap_equal_skills")
BANDS = 5


@dataclass(frozen=True)
class Record:
    """One pair shown in an employer's candidate list, and what came of it.

    Attributes:
        person: the profile's id (the bootstrap resamples people).
        list_id: the list it was shown in (the vacancy).
        country: the vacancy's country.
        rank: its place in the list when shown.
        score: its combined score; scores: the per-dimension scores.
        groups: attribute -> group ("migrant": "migrant" | "host"; "gender": "woman" |
            "man"); an attribute not known for the person is absent.
        interest: the employer went on (interest, interview or hire); hired: hired.
    """

    person: int
    list_id: str
    country: str
    rank: int
    score: float
    scores: Mapping[str, float]
    groups: Mapping[str, str]
    interest: bool
    hired: bool


@dataclass(frozen=True)
class Finding:
    """One gap: `value` is the watched group's figure minus the reference group's (negative:
    the watched group fares worse), with its 95 % interval (bootstrap standard error); None
    where withheld."""

    country: str          # a country code, or "all"
    attribute: str
    metric: str
    watched: str
    reference: str
    n_watched: int
    n_reference: int
    watched_value: float | None
    reference_value: float | None
    value: float | None
    low: float | None
    high: float | None
    flagged: bool
    withheld: bool
    drivers: Mapping[str, float] | None = None   # score gap: each dimension's share of it
    p: float = 1.0                               # two-sided, before the correction
    ratio: float | None = None                   # rates: the watched group's to the reference's, at comparable scores


def _exposure(rank: np.ndarray) -> np.ndarray:
    return 1.0 / np.log2(1.0 + rank)


def _bands(values: np.ndarray, n: int = BANDS) -> np.ndarray:
    edges = np.quantile(values, np.linspace(0, 1, n + 1)[1:-1]) if len(values) else []
    return np.searchsorted(edges, values, side="right")


def _stratified_gap(value: np.ndarray, watched: np.ndarray, strata: np.ndarray) -> tuple | None:
    """Within each stratum, the watched group against the reference: (the difference of
    means averaged with weights n_w n_r / (n_w + n_r), the two groups' overall means, the
    Mantel-Haenszel ratio of means, and for 0/1 values the Mantel-Haenszel odds ratio; NaN
    where undefined); None with no stratum holding both groups. The ratios weigh the strata
    where something happens: the bands where nobody is hired do not dilute them."""
    num = den = rr_num = rr_den = or_num = or_den = 0.0
    for s in np.unique(strata):
        here = strata == s
        a, b = value[here & watched], value[here & ~watched]
        if len(a) and len(b):
            n = len(a) + len(b)
            w = len(a) * len(b) / n
            num += w * (a.mean() - b.mean())
            den += w
            rr_num += a.sum() * len(b) / n
            rr_den += b.sum() * len(a) / n
            # Haldane's half added to every cell: a group with no hire at all in a band still
            # gives a finite (very small) odds ratio, the worst case flagged, not skipped.
            ea, eb = a.sum() + 0.5, b.sum() + 0.5
            or_num += ea * (len(b) - b.sum() + 0.5) / (n + 2)
            or_den += (len(a) - a.sum() + 0.5) * eb / (n + 2)
    if den == 0:
        return None
    ratio = rr_num / rr_den if rr_den > 0 else math.nan
    odds = or_num / or_den if or_den > 0 and or_num > 0 else math.nan
    return num / den, float(value[watched].mean()), float(value[~watched].mean()), ratio, odds


def _metric(metric: str, recs: Sequence[Record], watched: np.ndarray) -> tuple | None:
    if metric == "exposure":
        value = _exposure(np.array([r.rank for r in recs], dtype=float))
        strata = np.array([hash(r.list_id) for r in recs])
    elif metric in ("interest_rate", "hire_rate"):
        value = np.array([r.interest if metric == "interest_rate" else r.hired for r in recs], dtype=float)
        strata = _bands(np.array([r.score for r in recs]))
    else:
        value = np.array([r.score for r in recs])
        skills = np.array([r.scores.get("skills", 0.0) for r in recs])
        strata = np.array([hash((r.list_id, int(b))) for r, b in zip(recs, _bands(skills), strict=True)])
    return _stratified_gap(value, watched, strata)


def score_gap(recs: Sequence[Record], attribute: str, weights: Mapping[str, float]) -> float | None:
    """The score gap at equal skills if the pairs were scored with `weights` (to audit a
    learnt model before it may rank anyone)."""
    from .scoring import combine

    watched_group, reference = ATTRIBUTES[attribute]
    rescored = [Record(r.person, r.list_id, r.country, r.rank, combine(r.scores, weights), r.scores, r.groups,
                       r.interest, r.hired) for r in recs if r.groups.get(attribute) in (watched_group, reference)]
    if not rescored:
        return None
    watched = np.array([r.groups[attribute] == watched_group for r in rescored])
    gap = _metric("score_gap_equal_skills", rescored, watched)
    return None if gap is None else gap[0]


def _drivers(recs: Sequence[Record], watched: np.ndarray) -> dict[str, float]:
    """Each dimension's gap at equal skills (watched minus reference): what makes the score gap."""
    skills = np.array([r.scores.get("skills", 0.0) for r in recs])
    strata = np.array([hash((r.list_id, int(b))) for r, b in zip(recs, _bands(skills), strict=True)])
    out = {}
    for d in sorted({d for r in recs for d in r.scores}):
        here = np.array([d in r.scores for r in recs])
        if here.sum() < 2:
            continue
        gap = _stratified_gap(np.array([r.scores.get(d, 0.0) for r in recs])[here], watched[here], strata[here])
        if gap is not None:
            out[d] = round(gap[0], 4)
    return out


RATES = ("interest_rate", "hire_rate")


def _bootstrap(metric: str, recs: Sequence[Record], watched: np.ndarray, rounds: int,
               rng: np.random.Generator) -> tuple[float, float]:
    """Standard errors of the difference and of the log of the odds ratio, people resampled
    (NaN when no resample has both groups)."""
    people = sorted({r.person for r in recs})
    rows: dict[int, list[int]] = {}
    for i, r in enumerate(recs):
        rows.setdefault(r.person, []).append(i)
    diffs, logs = [], []
    for _ in range(rounds):
        pick = [i for p in rng.choice(people, size=len(people)) for i in rows[p]]
        gap = _metric(metric, [recs[i] for i in pick], watched[pick])
        if gap is not None:
            diffs.append(gap[0])
            if gap[4] > 0:
                logs.append(math.log(gap[4]))
    spread = (lambda xs: float(np.std(xs, ddof=1)) if len(xs) > 1 else math.nan)
    return spread(diffs), spread(logs)


def _p_value(metric: str, gap: tuple, se_diff: float, se_log: float) -> float:
    """Two-sided; for a rate, on the log of the Mantel-Haenszel odds ratio (a group's odds
    shifted at every score, as a bias would, shows there even where the rates are near 0 or
    1); else on the difference. No spread to judge by: 1 (no flag)."""
    if metric in RATES:
        if not (gap[4] > 0 and se_log > 0):
            return 1.0
        z = abs(math.log(gap[4])) / se_log
    else:
        if not se_diff > 0:
            return 1.0
        z = abs(gap[0]) / se_diff
    return 2.0 * (1.0 - _normal_cdf(z))


def _finding(country: str, attribute: str, metric: str, recs: Sequence[Record], thresholds: Mapping[str, float],
             min_count: int, rounds: int, rng: np.random.Generator) -> Finding:
    watched_group, reference = ATTRIBUTES[attribute]
    recs = [r for r in recs if r.groups.get(attribute) in (watched_group, reference)]
    watched = np.array([r.groups[attribute] == watched_group for r in recs], dtype=bool)
    n_w = len({r.person for r, w in zip(recs, watched, strict=True) if w})
    n_r = len({r.person for r, w in zip(recs, watched, strict=True) if not w})
    empty = Finding(country, attribute, metric, watched_group, reference, n_w, n_r, None, None, None, None, None,
                    False, True)
    if min(n_w, n_r) < min_count:
        return empty
    gap = _metric(metric, recs, watched)
    if gap is None:
        return empty
    se, se_log = _bootstrap(metric, recs, watched, rounds, rng)
    value, ratio = gap[0], gap[3]
    drivers = _drivers(recs, watched) if metric == "score_gap_equal_skills" else None
    return Finding(country, attribute, metric, watched_group, reference, n_w, n_r, round(gap[1], 4),
                   round(gap[2], 4), round(value, 4), *_interval(value, se),
                   _material(metric, value, ratio, thresholds), False, drivers, _p_value(metric, gap, se, se_log),
                   round(ratio, 3) if metric in RATES and not math.isnan(ratio) else None)


def _interval(value: float, se: float) -> tuple[float | None, float | None]:
    """The 95 % interval; none when the resamples could not tell (no spread)."""
    if math.isnan(se):
        return None, None
    return round(value - 1.96 * se, 4), round(value + 1.96 * se, 4)


def _material(metric: str, gap: float, ratio: float, thresholds: Mapping[str, float]) -> bool:
    """Large enough to matter: at least the metric's threshold; for a rate, also a ratio to
    the reference group's rate (at comparable scores) below `min_ratio` (the four-fifths
    rule of employment audits: a selection rate under 80 % of the reference group's), or
    above its inverse."""
    if abs(gap) >= thresholds[metric]:
        return True
    if metric in RATES and ratio > 0 and "min_ratio" in thresholds:
        return ratio < thresholds["min_ratio"] or ratio > 1 / thresholds["min_ratio"]
    return False


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _benjamini_hochberg(findings: list[Finding], alpha: float) -> list[Finding]:
    """Flag the findings large enough (`flagged` on entry) that stay significant when the
    false discovery rate over every finding shown is held at `alpha` (Benjamini-Hochberg:
    in a world with no gap at all, the chance of any flag is at most `alpha`)."""
    shown = sorted((f for f in findings if not f.withheld), key=lambda f: f.p)
    m, cut = len(shown), -1
    for i, f in enumerate(shown):
        if f.p <= alpha * (i + 1) / m:
            cut = i
    keep = {id(f) for f in shown[:cut + 1]}
    return [replace(f, flagged=f.flagged and id(f) in keep) for f in findings]


def audit(records: Sequence[Record], thresholds: Mapping[str, float], min_count: int, rounds: int = 200,
          seed: int = 0, alpha: float = 0.05) -> list[Finding]:
    """Every gap, per country (of the vacancy) and overall, per attribute and metric.

    Args:
        records: the pairs shown in employers' lists, with what came of them.
        thresholds: per metric, the smallest gap worth a flag.
        min_count: the fewest people of each group for a figure to be shown.
        rounds: bootstrap rounds; seed: its seed (the audit is reproducible).
        alpha: the false discovery rate of the flags (Benjamini-Hochberg over every finding).

    Returns:
        Findings: "all" first, then countries in code order.
    """
    rng = np.random.default_rng(seed)
    countries = ["all", *sorted({r.country for r in records})]
    out = []
    for country in countries:
        here = list(records) if country == "all" else [r for r in records if r.country == country]
        for attribute in ATTRIBUTES:
            for metric in METRICS:
                out.append(_finding(country, attribute, metric, here, thresholds, min_count, rounds, rng))
    return _benjamini_hochberg(out, alpha)
