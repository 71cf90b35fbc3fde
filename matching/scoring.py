"""Score a profile-vacancy pair on each dimension, combine, and rank."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .documents import Embedding, ProfileDoc, VacancyDoc, normalise_phrase, phrase_key
from .eligibility import Job as JobFacts
from .eligibility import Person, Verdict, assess
from .eligibility.facts import CHECK_RULES
from .encoders import Calibration
from .taxonomy import isco_closeness
from .vocab import EDUCATION_LEVELS, LANGUAGE_LEVELS, STEP_COST

__all__ = ["PairScore", "combine", "for_employer", "other_trade", "rank", "score_many", "score_pair", "top_k",
           "top_k_rows"]

ESSENTIAL_WEIGHT = 2.0   # an essential skill counts twice an optional one
# A skill matched only by a job title (not by a skill the person wrote) is an inference:
# it counts for this share of its weight until the person confirms it.
INFERRED_WEIGHT = 0.5
UNRELATED_JOB_SHARE = 0.25  # a year in an unrelated job still shows work habits


@dataclass(frozen=True)
class PairScore:
    """The scores of one pair and why."""

    profile_id: int
    vacancy_id: int
    score: float
    scores: dict[str, float]
    explanation: dict


RELEVANCE = ("semantic", "skills", "occupation")
TAXONOMY_MATCH = 0.95  # two phrases linked to the same ESCO skill


def _mean(scores: Mapping[str, float], weights: Mapping[str, float], dims) -> tuple[float, float]:
    total = sum(weights[d] for d in dims if d in weights and d in scores)
    if total <= 0:
        return 0.0, 0.0
    return sum(scores[d] * weights[d] for d in dims if d in weights and d in scores) / total, total


def combine(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Combine the dimensions into one score.

    The relevance dimensions (semantic, skills) say whether this is the person's kind of
    work; the others (experience, education, language, location) say how well the
    circumstances fit. Circumstances only count in proportion to relevance, so a job in
    the person's own city that has nothing to do with their trade does not outrank one
    in their trade:  score = R * (wR + wC * C) / (wR + wC),  where R and C are the
    weighted means of each group and wR, wC the sums of their weights.

    Args:
        scores: per-dimension scores in [0, 1].
        weights: per-dimension weights >= 0 (any scale).

    Returns:
        The combined score in [0, 1].
    """
    relevance, w_r = _mean(scores, weights, RELEVANCE)
    context, w_c = _mean(scores, weights, [d for d in scores if d not in RELEVANCE])
    if w_r + w_c <= 0:
        return 0.0
    if w_r <= 0:
        return float(context)
    return float(relevance * (w_r + w_c * context) / (w_r + w_c))


def _location(p: ProfileDoc, v: VacancyDoc) -> tuple[float, str]:
    same_country = p.country == v.country
    if v.remote:
        return (1.0, "remote") if same_country else (0.8, "remote_abroad")
    if same_country:
        if p.city and v.city and normalise_phrase(p.city) == normalise_phrase(v.city):
            return 1.0, "same_city"
        return (0.8 if p.relocate else 0.6), "same_country"
    if p.reaches(v.country) and v.accepts_relocation:
        return 0.5, "relocation"
    return 0.0, "out_of_reach"


def _language(p: ProfileDoc, v: VacancyDoc) -> float:
    """How well the person speaks the languages the job asks for (the missing ones are
    eligibility steps)."""
    if not v.languages:
        return 1.0
    return float(np.mean([LANGUAGE_LEVELS.get(p.languages.get(code, ""), 0.0) for code in v.languages]))


def _education(p: ProfileDoc, v: VacancyDoc) -> float:
    need = EDUCATION_LEVELS.get(v.education_level or "none", 0)
    have = EDUCATION_LEVELS.get(p.education_level or "none", 0)
    if have >= need:
        return 1.0
    return max(0.0, 1.0 - 0.34 * (need - have))


def eligibility_of(p: ProfileDoc, v: VacancyDoc, kb, memo: dict | None = None) -> Verdict:
    """The verdict of the mobility rules for this person and this vacancy.

    Args:
        p: the profile.
        v: the vacancy; its first linked occupation gives the ISCO group and whether
            the profession is regulated (else the knowledge base's guess from its title).
        kb: the mobility knowledge base; None applies generic rules.
        memo: verdicts already given, by person and job facts (one job scores one person
            against hundreds of vacancies, most of them alike to the rules); kept in it.

    Returns:
        The `Verdict` of `matching.eligibility.assess`.
    """
    occ = (v.esco.get("occupations") or [None])[0] or {}
    isco = occ.get("isco") or (kb.isco_from_title(v.title) if kb is not None else None)
    job = JobFacts(v.country, isco, v.education_level, v.languages, regulated=bool(occ.get("regulated")),
                   remote=v.remote)
    if memo is not None and (id(p), job) in memo:
        return memo[(id(p), job)]
    person = Person(p.nationalities, p.country, p.legal_status, p.education_level, p.education_country,
                    p.education_recognised_in, p.languages)
    verdict = assess(kb, person, job)
    if memo is not None:
        memo[(id(p), job)] = verdict
        memo[("doc", id(p))] = p   # kept alive while the memo is: its id is not reused
    return verdict


def _phrases(doc, memo: dict | None) -> list[str]:
    """A document's phrases, made once per `memo` (a job scores one document against hundreds)."""
    if memo is None:
        return doc.phrases()
    key = ("phrases", id(doc))
    if key not in memo:
        memo[key] = doc.phrases()
        memo[("doc", id(doc))] = doc   # kept alive while the memo is: its id is not reused
    return list(memo[key])


def _lexical_matches(p_norm: list[str], v_norm: list[str], sims: np.ndarray) -> None:
    """Raise similarities where the words say it: the same phrase (1.0), or every word
    of the vacancy's phrase inside the person's ('cocina' in 'cocina venezolana', 0.9)."""
    p_words = [set(x.split()) for x in p_norm]
    for j, key in enumerate(v_norm):
        words = set(key.split())
        for i, pk in enumerate(p_norm):
            if pk == key:
                sims[i, j] = 1.0
            elif words and words <= p_words[i]:
                sims[i, j] = max(sims[i, j], 0.9)


def _taxonomy_matches(p: ProfileDoc, v: VacancyDoc, p_norm: list[str], v_norm: list[str],
                      sims: np.ndarray) -> None:
    """Near-synonyms count through the taxonomy: both phrases linked to one ESCO skill."""
    p_skills, v_skills = p.esco.get("skills", {}), v.esco.get("skills", {})
    if not (p_skills and v_skills):
        return
    p_uris = [p_skills.get(k, {}).get("uri") for k in p_norm]
    for j, key in enumerate(v_norm):
        uri = v_skills.get(key, {}).get("uri")
        if uri is None:
            continue
        for i, p_uri in enumerate(p_uris):
            if p_uri == uri:
                sims[i, j] = max(sims[i, j], TAXONOMY_MATCH)


def _occupation(p: ProfileDoc, v: VacancyDoc) -> tuple[float | None, dict]:
    """Closeness of the person's past occupations to the vacancy's (None: not known)."""
    v_occ = (v.esco.get("occupations") or [None])[0]
    p_occs = p.esco.get("occupations") or []
    about = {"vacancy": _shown(v_occ), "profile": [_shown(o) for o in p_occs]}
    if v_occ is None or not p_occs:
        return None, about
    return max(_closeness(p_occ, v_occ) for p_occ in p_occs), about


def _shown(occ: dict | None) -> dict | None:
    """An occupation link as the explanation shows it: without its skill profile (sixty ESCO
    ids that say nothing to a reader; the score already holds what it measured)."""
    return None if occ is None else {k: v for k, v in occ.items() if k != "skill_profile"}


def _links(occ: dict) -> list[tuple[str, str | None, float]]:
    """(uri, isco, weight) of a title's first link and its runners-up: the weight is the
    link's probability when the linker gives one, else its share of the first link's score."""
    if occ.get("probability"):
        top, first = 1.0, occ.get("score") or 0.0
    else:
        top, first = occ.get("score") or 1.0, 1.0
    return [(occ["uri"], occ.get("isco"), first)] + [
        (n["uri"], n.get("isco"), n["score"] / top) for n in occ.get("near", [])]


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The cosine of two unit-length sparse vectors."""
    if len(b) < len(a):
        a, b = b, a
    return max(0.0, min(1.0, sum(w * b.get(k, 0.0) for k, w in a.items())))


def _closeness(p_occ: dict, v_occ: dict) -> float:
    """How close two titles' occupations are. With skill profiles on both sides (the linker's
    probabilities, `TaxonomyIndex.skill_profile`): their cosine, the work both involve,
    each link weighed by its probability, times how sure both first links are (chosen on the
    development half of the real titles: it ranked better than the ISCO tree,
    docs/evaluation.md). With probabilities only: the expected
    closeness (each pair of links weighed by both probabilities, what neither link covers
    counting as unrelated), so that a wrong first link costs part of the score, not all of
    it, and a doubtful one counts less than a sure one. Otherwise: the best pair of links,
    by the weaker one's share."""
    p_profile, v_profile = p_occ.get("skill_profile"), v_occ.get("skill_profile")
    if p_profile and v_profile:
        # A doubtful link counts less: times the geometric mean of both first links' probabilities.
        sure = (float(p_occ.get("score") or 0.0) * float(v_occ.get("score") or 0.0)) ** 0.5
        return _cosine(p_profile, v_profile) * min(1.0, sure)
    p_links, v_links = _links(p_occ), _links(v_occ)
    if p_occ.get("probability") and v_occ.get("probability"):
        return min(1.0, sum(pw * vw * (1.0 if pu == vu else isco_closeness(pi, vi))
                            for pu, pi, pw in p_links for vu, vi, vw in v_links))
    return max((1.0 if pu == vu else isco_closeness(pi, vi)) * min(pw, vw)
               for pu, pi, pw in p_links for vu, vi, vw in v_links)


# The occupation closeness of the same ISCO-08 minor group (see matching.taxonomy.isco_closeness).
SAME_TRADE_OCCUPATION = 0.75


def other_trade(score: float, scores: Mapping[str, float], floor: float) -> bool:
    """Tell whether a match is a job of another trade below the relevance floor: none of its
    skills (essential or optional) is the person's, its occupation is not in the minor group of theirs (or
    unknown), and its score is under `floor`. Such a job is offered as other work nearby,
    not listed as a match.

    Args:
        score: the combined score.
        scores: the per-dimension scores.
        floor: the relevance floor (PUENTE_RELEVANCE_FLOOR).

    Returns:
        True for another trade below the floor.
    """
    return score < floor and scores.get("skills", 0.0) <= 0.0 \
        and scores.get("occupation", 0.0) < SAME_TRADE_OCCUPATION


def _eligibility(verdict: Verdict) -> float:
    """1.0 when the person can start now; each step needed lowers it (never below 0.2)."""
    cost = sum(STEP_COST["check_status" if s.rule.startswith(CHECK_RULES) else s.kind]
               for s in verdict.steps)
    return max(0.2, 1.0 - cost)


def score_pair(p: ProfileDoc, pe: Embedding, v: VacancyDoc, ve: Embedding,
               calibration: Calibration, weights: Mapping[str, float], kb=None,
               keep_blocked: bool = False, memo: dict | None = None) -> PairScore | None:
    """Score one pair on every dimension.

    Args:
        p, pe: the profile and its embedding (phrase vectors follow `p.phrases()`).
        v, ve: the vacancy and its embedding (phrase vectors follow `v.phrases()`).
        calibration: how to read the encoder's cosines.
        weights: per-dimension weights.
        kb: the mobility knowledge base (`config.mobility`); None applies generic rules.
        keep_blocked: score a pair the mobility rules rule out too (its explanation's
            verdict says `not_eligible`), to judge whether it is close to the person.
        memo: what is already known of the documents scored in this call (the rules'
            verdicts, see `eligibility_of`; their phrases), valid while they live.

    Returns:
        A `PairScore`, or None when the job is out of the person's reach: another
        country they would not move to, one that does not take people from abroad, or
        (unless `keep_blocked`) one the mobility rules say they cannot work in.
    """
    location, where = _location(p, v)
    if location <= 0.0:
        return None
    verdict = eligibility_of(p, v, kb, memo)
    if verdict.verdict == "not_eligible" and not keep_blocked:
        return None

    semantic = float(calibration.scale(float(pe.vector @ ve.vector)))
    p_phrases, v_phrases = _phrases(p, memo), _phrases(v, memo)
    p_norm = [normalise_phrase(x) for x in p_phrases]
    v_index = {normalise_phrase(x): i for i, x in enumerate(v_phrases)}
    sims = _phrase_similarities(p, pe, v, ve, p_norm, list(v_index))
    essential, optional = _skill_columns(v, v_index)
    written = {phrase_key(s) for s in p.skills}
    own = np.array([phrase_key(x) in written for x in p_phrases], dtype=bool)
    got, matched, missing, missing_optional = _skill_matches(
        essential, optional,
        _Sims(sims, own, {phrase_key(s) for s in p.declined_skills}, p.esco.get("implied_skills"),
              [v.esco.get("skills", {}).get(phrase_key(x), {}).get("uri") for x in v_phrases]), p_phrases, v_phrases,
        calibration.phrase_match)
    possible = ESSENTIAL_WEIGHT * len(essential) + len(optional)
    title_j = v_index.get(phrase_key(v.title))
    skills = got / possible if possible else float(calibration.scale(_best_match(sims, title_j)[0]))
    relevant = _relevant_years(p, p_norm, sims, title_j, calibration.phrase_match)
    experience = 1.0 if v.experience_years <= 0 else min(1.0, relevant / v.experience_years)

    scores = {
        "semantic": round(semantic, 4),
        "skills": round(skills, 4),
        "experience": round(experience, 4),
        "education": round(_education(p, v), 4),
        "language": round(_language(p, v), 4),
        "location": round(location, 4),
        "eligibility": round(_eligibility(verdict), 4),
    }
    occupation, occupations = _occupation(p, v)
    if occupation is not None:
        scores["occupation"] = round(occupation, 4)
    explanation = {
        "matched_skills": matched,
        "missing_skills": missing,
        "missing_optional_skills": missing_optional,
        "relevant_years": round(relevant, 1),
        "required_years": v.experience_years,
        "location": where,
        "occupations": occupations,
        **verdict.to_dict(),
    }
    if v.esco.get("inherited_skills") and not v.essential_skills_given:
        explanation["skills_from_occupation"] = True
    return PairScore(p.id, v.id, round(combine(scores, weights), 4), scores, explanation)


def _phrase_similarities(p: ProfileDoc, pe: Embedding, v: VacancyDoc, ve: Embedding, p_norm: list[str],
                         v_norm: list[str]) -> np.ndarray:
    """(profile phrases, vacancy phrases) similarities: the encoder's cosines, raised where
    the words or the taxonomy say two phrases match."""
    sims = (pe.phrase_vectors @ ve.phrase_vectors.T) if p_norm and v_norm else np.zeros(
        (len(p_norm), len(v_norm)), np.float32)
    _lexical_matches(p_norm, v_norm, sims)
    _taxonomy_matches(p, v, p_norm, v_norm, sims)
    return sims


def _best_match(sims: np.ndarray, j: int | None) -> tuple[float, int]:
    """The person's phrase closest to the vacancy's phrase `j`: (similarity, its row), or
    (0.0, -1) when there is no such phrase on either side."""
    if j is None or sims.shape[0] == 0:
        return 0.0, -1
    i = int(np.argmax(sims[:, j]))
    return float(sims[i, j]), i


def _skill_columns(v: VacancyDoc, v_index: Mapping[str, int]) -> tuple[list[int], list[int]]:
    """The columns of the vacancy's essential and optional skills, each once: 'Excel' and
    'excel' are two skills to the validator but one phrase here, and a skill listed as
    both counts as essential."""
    essential = [v_index[phrase_key(s)] for s in v.essential_skills if phrase_key(s) in v_index]
    optional = [v_index[phrase_key(s)] for s in v.optional_skills
                if phrase_key(s) in v_index and v_index[phrase_key(s)] not in essential]
    return list(dict.fromkeys(essential)), list(dict.fromkeys(optional))


@dataclass(frozen=True)
class _Sims:
    """The phrase similarities, which of the person's phrases are skills they wrote (the
    others are job titles), and the skills they said they do not have."""

    sims: np.ndarray
    own: np.ndarray          # (n_person_phrases,) bool
    declined: set[str]
    # The ESCO skills the person's occupations imply ({uri: [probability, title]},
    # `matching.annotate`), and the ESCO skill of each vacancy phrase (None: not linked).
    implied: Mapping[str, list] | None = None
    v_uris: Sequence[str | None] = ()


def _match_one(m: _Sims, j: int, skill: str, p_phrases: list[str], threshold: float) -> dict | None:
    """The person's evidence for the vacancy's skill `j`: a skill they wrote, else (an
    inference) a job title, unless they said they do not have it; None when neither is close."""
    for rows, inferred in ((m.own, False), (~m.own, True)):
        if not rows.any() or (inferred and phrase_key(skill) in m.declined):
            continue
        column = np.where(rows, m.sims[:, j], -np.inf)
        i = int(np.argmax(column))
        sim = float(column[i])
        if sim >= threshold:
            found = {"skill": skill, "by": p_phrases[i], "similarity": round(sim, 3)}
            return {**found, "inferred": True} if inferred else found
    return _implied(m, j, skill)


def _implied(m: _Sims, j: int, skill: str) -> dict | None:
    """The vacancy's skill `j` implied by an occupation the person's title links to (an
    inference weighed by the link's probability), unless they said they do not have it."""
    uri = m.v_uris[j] if j < len(m.v_uris) else None
    hit = (m.implied or {}).get(uri) if uri else None
    if hit is None or phrase_key(skill) in m.declined:
        return None
    probability, title = hit
    return {"skill": skill, "by": title, "similarity": round(float(probability), 3), "inferred": True,
            "probability": float(probability)}


def _skill_matches(essential: list[int], optional: list[int], m: _Sims, p_phrases: list[str],
                   v_phrases: list[str], threshold: float) -> tuple[float, list[dict], list[str], list[str]]:
    """Weigh the vacancy's skills the person has (an essential one `ESSENTIAL_WEIGHT`, an
    optional one 1; one only inferred from a job title `INFERRED_WEIGHT` of that):
    (weight got, matched, missing essential, missing optional)."""
    matched, missing, missing_optional = [], [], []
    got = 0.0
    for group, weight, absent in ((essential, ESSENTIAL_WEIGHT, missing), (optional, 1.0, missing_optional)):
        for j in group:
            found = _match_one(m, j, v_phrases[j], p_phrases, threshold)
            if found is None:
                absent.append(v_phrases[j])
                continue
            share = INFERRED_WEIGHT * found.pop("probability", 1.0) if found.get("inferred") else 1.0
            got += weight * share
            matched.append(found)
    return got, matched, missing, missing_optional


def _relevant_years(p: ProfileDoc, p_norm: list[str], sims: np.ndarray, title_j: int | None,
                    threshold: float) -> float:
    """Years of work that count for the vacancy: those in jobs whose title is close to the
    vacancy's title fully, the others by `UNRELATED_JOB_SHARE`."""
    relevant = 0.0
    for job in p.jobs:
        i = p_norm.index(phrase_key(job.title)) if phrase_key(job.title) in p_norm else -1
        close = i >= 0 and title_j is not None and sims[i, title_j] >= threshold
        relevant += float(job.years) * (1.0 if close else UNRELATED_JOB_SHARE)
    return relevant


# What only the person may see: the verdict and steps would tell their migration status.
PRIVATE_EXPLANATION = ("steps", "reasons", "verdict", "routes", "overqualified")


def for_employer(result: PairScore, weights: Mapping[str, float]) -> PairScore:
    """The same match as an employer may see it: no eligibility score (its value would tell
    which steps the person needs), a combined score without it, and of the verdict only
    whether the person can start now.

    Args:
        result: a scored pair.
        weights: per-dimension weights.

    Returns:
        A `PairScore` for the vacancy's ranking.
    """
    scores = {k: v for k, v in result.scores.items() if k != "eligibility"}
    explanation = {k: v for k, v in result.explanation.items() if k not in PRIVATE_EXPLANATION}
    explanation["ready_now"] = result.explanation.get("verdict") == "eligible_now"
    return PairScore(result.profile_id, result.vacancy_id, round(combine(scores, weights), 4), scores, explanation)


def score_many(pairs: Iterable[tuple[ProfileDoc, Embedding, VacancyDoc, Embedding]],
               calibration: Calibration, weights: Mapping[str, float], kb=None,
               left_out: list | None = None, memo: dict | None = None) -> list[PairScore]:
    """Score many pairs, keeping those within reach.

    Args:
        pairs: (profile, its embedding, vacancy, its embedding) tuples.
        calibration: how to read the encoder's cosines.
        weights: per-dimension weights.
        kb: the mobility knowledge base (None: generic rules).
        left_out: if given, receives the `PairScore` of each pair in the places the person
            would work that the mobility rules leave out (verdict `not_eligible`), scored as
            any other so that the caller can tell whether it is close to the person.
        memo: what is known of the documents (see `score_pair`), to share it between calls
            that score the same documents (a re-match chunk); default: this call's own.

    Returns:
        The `PairScore`s of the pairs within reach, in input order.
    """
    out, memo = [], ({} if memo is None else memo)
    for p, pe, v, ve in pairs:
        result = score_pair(p, pe, v, ve, calibration, weights, kb, keep_blocked=left_out is not None, memo=memo)
        if result is None:
            continue
        if result.explanation.get("verdict") == "not_eligible":
            left_out.append(result)
        else:
            out.append(result)
    return out


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Return the positions of the `k` best scores, best first; ties go to the lower id.

    Exact: `argpartition` finds the k best in linear time, then only those k are sorted.

    Args:
        scores: (n,) scores.
        ids: (n,) ids breaking ties.
        k: how many to keep.

    Returns:
        (min(k, n),) positions into `scores`.
    """
    n = len(scores)
    if n == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = np.partition(-scores, k - 1)[k - 1]
        candidates = np.flatnonzero(-scores <= kth)  # every tie of the k-th stays in the race
    else:
        candidates = np.arange(n)
    order = np.lexsort((ids[candidates], -scores[candidates]))
    return candidates[order][:k]


def top_k_rows(scores: np.ndarray, k: int, block: int = 64) -> np.ndarray:
    """The column positions of the `k` best scores of each row, best first (ties: any order).

    For wide rows a partial sort of every score costs as much as the matrix product that
    made them. Instead each row is cut into blocks of `block` columns: only the k blocks
    with the highest maxima can hold a row's k best scores (any block holding one of them
    has a maximum at least the k-th best, and at most k blocks can), so the exact
    selection runs on k × block columns per row.

    Args:
        scores: (n, m) scores.
        k: how many per row.
        block: columns per block.

    Returns:
        (n, min(k, m)) column positions.
    """
    n, m = scores.shape
    k = max(0, min(k, m))
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64)
    if m <= 4 * k * block or m % block:
        cols = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    else:
        maxima = scores.reshape(n, m // block, block).max(axis=2)
        best_blocks = np.argpartition(-maxima, k - 1, axis=1)[:, :k]                   # (n, k)
        cand = (best_blocks[:, :, None] * block + np.arange(block)).reshape(n, k * block)
        cand_scores = np.take_along_axis(scores, cand, axis=1)
        pick = np.argpartition(-cand_scores, k - 1, axis=1)[:, :k]
        cols = np.take_along_axis(cand, pick, axis=1)
    order = np.argsort(-np.take_along_axis(scores, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


def rank(results: Sequence[PairScore], k: int, by: str = "vacancy_id") -> list[PairScore]:
    """Return the `k` best results, best first; ties go to the lower id of `by`.

    Args:
        results: scored pairs.
        k: how many to keep.
        by: "vacancy_id" for a profile's ranking, "profile_id" for a vacancy's.

    Returns:
        At most `k` results, sorted.
    """
    scores = np.fromiter((r.score for r in results), dtype=np.float64, count=len(results))
    ids = np.fromiter((getattr(r, by) for r in results), dtype=np.int64, count=len(results))
    return [results[i] for i in top_k(scores, ids, k)]

