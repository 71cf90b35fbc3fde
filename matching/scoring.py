"""Score a profile-vacancy pair on each dimension, combine, and rank."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    levels = [LANGUAGE_LEVELS.get(p.languages.get(code, ""), 0.0) for code in v.languages]
    # Under 8 values NumPy's mean adds them in order, as `sum` does: the same float, faster.
    return sum(levels) / len(levels) if len(levels) < 8 else float(np.mean(levels))


def _education(p: ProfileDoc, v: VacancyDoc) -> float:
    need = EDUCATION_LEVELS.get(v.education_level or "none", 0)
    have = EDUCATION_LEVELS.get(p.education_level or "none", 0)
    if have >= need:
        return 1.0
    return max(0.0, 1.0 - 0.34 * (need - have))


def _job_facts(v: VacancyDoc, kb) -> JobFacts:
    occ = (v.esco.get("occupations") or [None])[0] or {}
    isco = occ.get("isco") or (kb.isco_from_title(v.title) if kb is not None else None)
    return JobFacts(v.country, isco, v.education_level, v.languages, regulated=bool(occ.get("regulated")),
                    remote=v.remote)


def _person_facts(p: ProfileDoc) -> Person:
    return Person(p.nationalities, p.country, p.legal_status, p.education_level, p.education_country,
                  p.education_recognised_in, p.languages)


def _person_key(p: ProfileDoc) -> tuple[Person, tuple]:
    """A person's facts, and the same as a key (people with equal facts get equal verdicts)."""
    f = _person_facts(p)
    return f, (f.nationalities, f.current_country, f.status, f.education_level, f.education_country,
               f.recognised_in, tuple(sorted(f.languages.items())))


def eligibility_of(p: ProfileDoc, v: VacancyDoc, kb, memo: dict | None = None) -> Verdict:
    """The verdict of the mobility rules for this person and this vacancy.

    Args:
        p: the profile.
        v: the vacancy; its first linked occupation gives the ISCO group and whether
            the profession is regulated (else the knowledge base's guess from its title).
        kb: the mobility knowledge base; None applies generic rules.
        memo: verdicts already given, by the person's and the job's facts (a job scores one
            person against hundreds of vacancies, most of them alike to the rules, and a
            re-match chunk many people with the same facts); kept in it.

    Returns:
        The `Verdict` of `matching.eligibility.assess`.
    """
    if memo is None:
        return assess(kb, _person_facts(p), _job_facts(v, kb))
    job = _prepared(memo, ("job", v), lambda: _job_facts(v, kb))
    person, facts = _prepared(memo, ("person", p), lambda: _person_key(p))
    key = ("verdict", facts, job)
    if key not in memo:
        memo[key] = assess(kb, person, job)
    return memo[key]


def _prepared(memo: dict, what: tuple, make):
    """What is made once per document for `memo` (`what`: a name and the document): the
    document is kept alive in the memo, so its id is not reused while the memo lives."""
    key = (what[0], id(what[1]))
    if key not in memo:
        memo[key] = make()
        memo[("doc", id(what[1]))] = what[1]
    return memo[key]


@dataclass(frozen=True)
class _PersonPhrases:
    """A person's phrases as every pair compares them, made once per document."""

    phrases: list[str]
    norm: list[str]
    rows_of_word: dict[str, set[int]]     # a word -> the phrases holding it
    rows_of_key: dict[str, list[int]]     # a normalised phrase -> its rows
    rows_of_uri: dict[str, list[int]]     # an ESCO skill -> the phrases linked to it
    own: np.ndarray                       # (n,) the skills they wrote (the rest are job titles)
    any_own: bool
    any_inferred: bool
    declined: frozenset[str]
    job_rows: list[int]                   # each job's title row (-1: not among the phrases)


@dataclass(frozen=True)
class _VacancyPhrases:
    """A vacancy's phrases as every pair compares them, made once per document."""

    phrases: list[str]
    norm: list[str]
    words: list[frozenset[str]]
    uris: list[str | None]                # the ESCO skill of each phrase (by its key)
    tax_uris: list[str | None]            # the same, by its normalised form (None: not linked)
    essential: list[int]
    optional: list[int]
    title_j: int | None


def _person_phrases(p: ProfileDoc) -> _PersonPhrases:
    phrases = p.phrases()
    norm = [normalise_phrase(x) for x in phrases]
    by_word: dict[str, set[int]] = {}
    by_key: dict[str, list[int]] = {}
    for i, key in enumerate(norm):
        by_key.setdefault(key, []).append(i)
        for w in set(key.split()):
            by_word.setdefault(w, set()).add(i)
    skills = p.esco.get("skills") or {}
    by_uri: dict[str, list[int]] = {}
    for i, key in enumerate(norm):
        uri = skills.get(key, {}).get("uri")
        if uri is not None:
            by_uri.setdefault(uri, []).append(i)
    written = {phrase_key(x) for x in p.skills}
    own = np.array([phrase_key(x) in written for x in phrases], dtype=bool)
    job_rows = [norm.index(phrase_key(j.title)) if phrase_key(j.title) in norm else -1 for j in p.jobs]
    return _PersonPhrases(phrases, norm, by_word, by_key, by_uri if skills else {}, own, bool(own.any()),
                          bool((~own).any()), frozenset(phrase_key(x) for x in p.declined_skills), job_rows)


def _vacancy_phrases(v: VacancyDoc) -> _VacancyPhrases:
    phrases = v.phrases()
    index = {normalise_phrase(x): i for i, x in enumerate(phrases)}
    norm = list(index)
    essential, optional = _skill_columns(v, index)
    skills = v.esco.get("skills") or {}
    return _VacancyPhrases(phrases, norm, [frozenset(k.split()) for k in norm],
                           [skills.get(phrase_key(x), {}).get("uri") for x in phrases],
                           [skills.get(k, {}).get("uri") for k in norm], essential, optional,
                           index.get(phrase_key(v.title)))


def _lexical_matches(pp: _PersonPhrases, vp: _VacancyPhrases, sims: np.ndarray) -> None:
    """Raise similarities where the words say it: the same phrase (1.0), or every word
    of the vacancy's phrase inside the person's ('cocina' in 'cocina venezolana', 0.9)."""
    for j, (key, words) in enumerate(zip(vp.norm, vp.words, strict=True)):
        if words:
            holding: set[int] | None = None
            for w in words:
                rows = pp.rows_of_word.get(w)
                holding = set() if not rows else set(rows) if holding is None else holding & rows
                if not holding:
                    break
            for i in holding or ():
                sims[i, j] = max(sims[i, j], 0.9)
        for i in pp.rows_of_key.get(key, ()):
            sims[i, j] = 1.0


def _taxonomy_matches(pp: _PersonPhrases, vp: _VacancyPhrases, sims: np.ndarray) -> None:
    """Near-synonyms count through the taxonomy: both phrases linked to one ESCO skill."""
    if not pp.rows_of_uri:
        return
    for j, uri in enumerate(vp.tax_uris):
        for i in pp.rows_of_uri.get(uri, ()) if uri is not None else ():
            sims[i, j] = max(sims[i, j], TAXONOMY_MATCH)


def _occupation(p: ProfileDoc, v: VacancyDoc, memo: dict) -> tuple[float | None, Callable[[], dict]]:
    """Closeness of the person's past occupations to the vacancy's (None: not known), each
    pair of occupation links measured once per `memo` (many pairs share them); and what the
    explanation says of them, made when asked for."""
    (v_occ, v_id, v_shown), = _prepared(memo, ("vacancy_occupation", v), lambda: _occupations(v, memo))
    p_occs = _prepared(memo, ("person_occupations", p), lambda: _occupations(p, memo))

    def about() -> dict:
        return {"vacancy": v_shown, "profile": [shown for _, _, shown in p_occs]}

    if v_occ is None or not p_occs:
        return None, about
    known = memo.setdefault("closeness", {})
    best = None
    for p_occ, p_id, _ in p_occs:
        closeness = known.get((p_id, v_id))
        if closeness is None:
            closeness = known[(p_id, v_id)] = _closeness(p_occ, v_occ)
        best = closeness if best is None else max(best, closeness)
    return best, about


def _occupations(doc, memo: dict) -> list[tuple[dict | None, int, dict | None]]:
    """A document's occupation links (a vacancy's first only, or None), each with a number
    that equal links share in `memo` (two equal links are measured once) and as an
    explanation shows it."""
    occs = doc.esco.get("occupations") or []
    if isinstance(doc, VacancyDoc):
        occs = occs[:1] or [None]
    numbers = memo.setdefault("occupation numbers", {})
    return [(occ, numbers.setdefault(_content_key(occ), len(numbers)), _shown(occ)) for occ in occs]


def _content_key(occ: dict | None) -> tuple | None:
    """A key equal for equal occupation links (their skill profile as a frozen set: cheaper
    to hash than to write out)."""
    if occ is None:
        return None
    shown = _shown(occ)
    profile = occ.get("skill_profile")
    return json.dumps(shown, sort_keys=True), frozenset(profile.items()) if profile is not None else None


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
               keep_blocked: bool = False, memo: dict | None = None,
               min_score: float | None = None) -> PairScore | None:
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
        min_score: below this combined score the pair is not wanted: None is returned
            before its explanation is written (most pairs a job scores are below it).

    Returns:
        A `PairScore`, or None when the job is out of the person's reach: another
        country they would not move to, one that does not take people from abroad, or
        (unless `keep_blocked`) one the mobility rules say they cannot work in; or when
        its score is under `min_score`.
    """
    location, where = _location(p, v)
    if location <= 0.0:
        return None
    memo = {} if memo is None else memo
    verdict = eligibility_of(p, v, kb, memo)
    if verdict.verdict == "not_eligible" and not keep_blocked:
        return None

    semantic = float(calibration.scale(float(pe.vector @ ve.vector)))
    pp = _prepared(memo, ("person_phrases", p), lambda: _person_phrases(p))
    vp = _prepared(memo, ("vacancy_phrases", v), lambda: _vacancy_phrases(v))
    sims = _phrase_similarities(pp, pe, vp, ve)
    got, found = _skill_weight(pp, vp, sims, p.esco.get("implied_skills"), calibration.phrase_match)
    possible = ESSENTIAL_WEIGHT * len(vp.essential) + len(vp.optional)
    skills = got / possible if possible else float(calibration.scale(_best_match(sims, vp.title_j)[0]))
    relevant = _relevant_years(p, pp, sims, vp.title_j, calibration.phrase_match)
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
    occupation, occupations = _occupation(p, v, memo)
    if occupation is not None:
        scores["occupation"] = round(occupation, 4)
    combined = round(combine(scores, weights), 4)
    if min_score is not None and combined < min_score:
        return None
    matched, missing, missing_optional = _skill_lists(vp, found)
    explanation = {
        "matched_skills": matched,
        "missing_skills": missing,
        "missing_optional_skills": missing_optional,
        "relevant_years": round(relevant, 1),
        "required_years": v.experience_years,
        "location": where,
        "occupations": occupations(),
        **verdict.to_dict(),
    }
    if v.esco.get("inherited_skills") and not v.essential_skills_given:
        explanation["skills_from_occupation"] = True
    return PairScore(p.id, v.id, combined, scores, explanation)


def _phrase_similarities(pp: _PersonPhrases, pe: Embedding, vp: _VacancyPhrases, ve: Embedding) -> np.ndarray:
    """(profile phrases, vacancy phrases) similarities: the encoder's cosines, raised where
    the words or the taxonomy say two phrases match."""
    sims = (pe.phrase_vectors @ ve.phrase_vectors.T) if pp.norm and vp.norm else np.zeros(
        (len(pp.norm), len(vp.norm)), np.float32)
    _lexical_matches(pp, vp, sims)
    _taxonomy_matches(pp, vp, sims)
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


def _best_rows(sims: np.ndarray, rows: np.ndarray) -> tuple[list[int], list[float]]:
    """For each column, the first of `rows` with the highest similarity, and that similarity."""
    masked = np.where(rows[:, None], sims, -np.inf)
    best = masked.argmax(axis=0)
    return best.tolist(), masked[best, np.arange(sims.shape[1])].tolist()


def _skill_weight(pp: _PersonPhrases, vp: _VacancyPhrases, sims: np.ndarray, implied: Mapping[str, list] | None,
                  threshold: float) -> tuple[float, list]:
    """Weigh the vacancy's skills the person has (an essential one `ESSENTIAL_WEIGHT`, an
    optional one 1; one only inferred from a job title `INFERRED_WEIGHT` of that): the weight
    got, and the evidence for each skill, in order (essential first): (column, essential,
    evidence or None). `_skill_lists` puts the evidence into words.

    The person's evidence for a skill is a skill they wrote, else (an inference) a job title,
    unless they said they do not have it, else an occupation their title links to that
    implies it (weighed by the link's probability)."""
    got, found = 0.0, []
    own = _best_rows(sims, pp.own) if pp.any_own and sims.shape[1] else None
    titles = _best_rows(sims, ~pp.own) if pp.any_inferred and sims.shape[1] else None
    for group, weight in ((vp.essential, ESSENTIAL_WEIGHT), (vp.optional, 1.0)):
        for j in group:
            evidence = _evidence(pp, vp, j, own, titles, implied, threshold)
            found.append((j, weight == ESSENTIAL_WEIGHT, evidence))
            if evidence is not None:
                inferred, probability = evidence[2], evidence[3]
                got += weight * (INFERRED_WEIGHT * probability if inferred else 1.0)
    return got, found


def _skill_lists(vp: _VacancyPhrases, found: list) -> tuple[list[dict], list[str], list[str]]:
    """What an explanation says of the vacancy's skills: (matched, missing essential,
    missing optional), from `_skill_weight`'s evidence."""
    matched, missing, missing_optional = [], [], []
    for j, essential, evidence in found:
        skill = vp.phrases[j]
        if evidence is None:
            (missing if essential else missing_optional).append(skill)
            continue
        by, similarity, inferred, _ = evidence
        item = {"skill": skill, "by": by, "similarity": round(similarity, 3)}
        matched.append({**item, "inferred": True} if inferred else item)
    return matched, missing, missing_optional


def _evidence(pp: _PersonPhrases, vp: _VacancyPhrases, j: int, own, titles, implied: Mapping[str, list] | None,
              threshold: float) -> tuple[str, float, bool, float] | None:
    """The person's evidence for the vacancy's skill `j` (see `_skill_weight`): (by what,
    similarity, inferred, the weight of an inference), or None."""
    declined = phrase_key(vp.phrases[j]) in pp.declined
    for best, inferred in ((own, False), (titles, True)):
        if best is None or (inferred and declined):
            continue
        i, sim = best[0][j], best[1][j]
        if sim >= threshold:
            return pp.phrases[i], sim, inferred, 1.0
    uri = vp.uris[j] if j < len(vp.uris) else None
    hit = (implied or {}).get(uri) if uri else None
    if hit is None or declined:
        return None
    probability, title = hit
    return title, float(probability), True, float(probability)


def _relevant_years(p: ProfileDoc, pp: _PersonPhrases, sims: np.ndarray, title_j: int | None,
                    threshold: float) -> float:
    """Years of work that count for the vacancy: those in jobs whose title is close to the
    vacancy's title fully, the others by `UNRELATED_JOB_SHARE`."""
    relevant = 0.0
    for job, i in zip(p.jobs, pp.job_rows, strict=True):
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
               left_out: list | None = None, memo: dict | None = None,
               min_score: float | None = None) -> list[PairScore]:
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
        min_score: pairs under this score are left out (and out of `left_out`), before
            their explanations are written.

    Returns:
        The `PairScore`s of the pairs within reach, in input order.
    """
    out, memo = [], ({} if memo is None else memo)
    for p, pe, v, ve in pairs:
        result = score_pair(p, pe, v, ve, calibration, weights, kb, keep_blocked=left_out is not None, memo=memo,
                            min_score=min_score)
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

