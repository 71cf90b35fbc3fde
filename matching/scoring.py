"""Score a profile-vacancy pair on each dimension, combine, and rank."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .documents import Embedding, ProfileDoc, VacancyDoc, normalise_phrase, phrase_key
from .eligibility import Job as JobFacts
from .eligibility import Person, Verdict, assess
from .eligibility.facts import CHECK_RULES
from .encoders import Calibration
from .taxonomy import isco_closeness
from .vocab import EDUCATION_LEVELS, LANGUAGE_LEVELS, STEP_COST

__all__ = [
    "PairScore",
    "combine",
    "for_employer",
    "memo_size",
    "other_trade",
    "rank",
    "score_many",
    "score_pair",
    "top_k",
    "top_k_rows",
]

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
# A score's dimensions are rounded to 4 places, then their combination (weighted means, each
# at most 1 per unit of a dimension): together they move it by less than this.
ROUNDING_SLACK = 1e-3


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
    return float(_combine(scores, weights))


def _combine(scores: Mapping, weights: Mapping[str, float]):
    """`combine`, on floats or on arrays of many pairs with the same dimensions (the same
    double operations in the same order either way)."""
    relevance, w_r = _mean(scores, weights, RELEVANCE)
    context, w_c = _mean(scores, weights, [d for d in scores if d not in RELEVANCE])
    if w_r + w_c <= 0:
        return 0.0
    if w_r <= 0:
        return context
    return relevance * (w_r + w_c * context) / (w_r + w_c)


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
    job, job_no = _prepared(memo, "job", v, _job_numbered, v, kb, memo)
    person, person_no = _prepared(memo, "person", p, _person_numbered, p, memo)
    key = ("verdict", person_no, job_no)    # numbers: cheaper to hash than the facts, each time
    if key not in memo:
        memo[key] = assess(kb, person, job)
    return memo[key]


def _numbered(memo: dict, table: str, facts, key=None) -> tuple:
    """`facts` and their number in `memo`'s `table`, by `key` (default: the facts themselves):
    equal facts, one number."""
    return facts, _number(_numbers(memo, table), facts if key is None else key)


def _job_numbered(v: VacancyDoc, kb, memo: dict) -> tuple:
    return _numbered(memo, "job facts", _job_facts(v, kb))


def _person_numbered(p: ProfileDoc, memo: dict) -> tuple:
    return _numbered(memo, "person facts", *_person_key(p))


def _prepared(memo: dict, name: str, doc, make, *args):
    """`make(*args)`, made once per document (`doc`) and `name` for `memo`: the document is
    kept alive in the memo, so its id is not reused while the memo lives."""
    key = (name, id(doc))
    made = memo.get(key)
    if made is None:
        made = memo[key] = make(*args)
        memo[("doc", id(doc))] = doc
    return made


@dataclass(frozen=True)
class _PersonPhrases:
    """A person's phrases as every pair compares them, made once per document."""

    phrases: list[str]
    norm: list[str]
    rows_of_word: dict[str, set[int]]     # a word -> the phrases holding it
    rows_of_key: dict[str, list[int]]     # a normalised phrase -> its rows
    rows_of_uri: dict[str, list[int]]     # an ESCO skill -> the phrases linked to it
    own: np.ndarray                       # (n,) the skills they wrote (the rest are job titles)
    declined: frozenset[str]
    job_rows: list[int]                   # each job's title row (-1: not among the phrases)


@dataclass(frozen=True)
class _VacancyPhrases:
    """A vacancy's phrases as every pair compares them, made once per document."""

    phrases: list[str]
    norm: list[str]
    keys: list[str]                       # each phrase's key (`phrase_key`)
    uris: list[str | None]                # the ESCO skill of each phrase (by its key)
    tax_uris: list[str | None]            # the same, by its normalised form (None: not linked)
    essential: list[int]
    optional: list[int]
    title_j: int | None
    cells: np.ndarray = None              # (m,) each phrase's (normalised form, ESCO skill), numbered
    skill_cols: np.ndarray = None         # the essential skills' columns, then the optional ones'
    skill_uris: np.ndarray = None         # their ESCO skills (by their keys), numbered (-1: none)


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
    return _PersonPhrases(phrases, norm, by_word, by_key, by_uri if skills else {}, own,
                          frozenset(phrase_key(x) for x in p.declined_skills), job_rows)


def _vacancy_phrases(v: VacancyDoc, memo: dict) -> _VacancyPhrases:
    phrases = v.phrases()
    index = {normalise_phrase(x): i for i, x in enumerate(phrases)}
    norm = list(index)
    essential, optional = _skill_columns(v, index)
    skills = v.esco.get("skills") or {}
    keys = [phrase_key(x) for x in phrases]
    uris = [skills.get(k, {}).get("uri") for k in keys]
    tax_uris = [skills.get(k, {}).get("uri") for k in norm]
    cells, uri_numbers = _numbers(memo, "phrase cells"), _numbers(memo, "skill uris")
    skill_cols = [*essential, *optional]
    return _VacancyPhrases(
        phrases, norm, keys, uris, tax_uris, essential, optional, index.get(phrase_key(v.title)),
        np.array([_number(cells, cell) for cell in zip(norm, tax_uris, strict=True)], dtype=np.int64),
        np.array(skill_cols, dtype=np.int64),
        np.array([_number(uri_numbers, uris[j]) if j < len(uris) and uris[j] else -1 for j in skill_cols],
                 dtype=np.int64))


def _numbers(memo: dict, name: str) -> tuple[dict, list]:
    """A table of `memo` that numbers values (value -> number, and the values in order)."""
    return memo.setdefault(name, ({}, []))


def _number(table: tuple[dict, list], value) -> int:
    """`value`'s number in `table` (a new one the first time)."""
    numbers, values = table
    n = numbers.get(value)
    if n is None:
        n = numbers[value] = len(values)
        values.append(value)
    return n


def memo_size(memo: dict) -> int:
    """About how many things a scoring memo holds (its entries and its tables' rows): a
    caller that keeps one empties it past a bound."""
    return len(memo) + sum(len(memo.get(k, ())) for k in ("closeness", "occupation numbers", "contexts")) + sum(
        len(memo[k][1]) for k in ("phrase cells", "skill uris", "job facts", "person facts", "person contexts",
                                  "vacancy contexts") if k in memo)


def _occupation_closeness(b: _Batch, memo: dict) -> list[float | None]:
    """Each pair's closeness of the person's past occupations to the vacancy's (None: not
    known): each distinct document's links read once, each (person, vacancy link) once per
    batch, each pair of links measured once per `memo` (many pairs share them)."""
    known = memo.setdefault("closeness", {})
    people = [_prepared(memo, "person_occupations", b.ps[k], _occupations, b.ps[k], memo) for k in b.first_p]
    links = [_prepared(memo, "vacancy_occupation", b.vs[k], _occupations, b.vs[k], memo)[0] for k in b.first_v]
    # Each distinct (person, vacancy link) once: the pairs numbered by both.
    link_no = np.array([v_id for _, v_id, _ in links], dtype=np.int64)[b.vacancies]
    _, first, inverse = np.unique(b.people * (int(link_no.max()) + 1) + link_no, return_index=True,
                                  return_inverse=True)
    values = [_best_closeness(people[b.people[k]], *links[b.vacancies[k]][:2], known) for k in first.tolist()]
    return [values[i] for i in inverse.tolist()]


def _best_closeness(p_occs: list, v_occ: dict | None, v_id: int, known: dict) -> float | None:
    """The closest of a person's occupation links to a vacancy's (`known`: by their numbers)."""
    if v_occ is None or not p_occs:
        return None
    best = None
    for p_occ, p_id, _ in p_occs:
        closeness = known.get((p_id, v_id))
        if closeness is None:
            closeness = known[(p_id, v_id)] = _closeness(p_occ, v_occ)
        best = closeness if best is None else max(best, closeness)
    return best


def _occupations_shown(p: ProfileDoc, v: VacancyDoc, memo: dict) -> dict:
    """What a pair's explanation says of the person's and the vacancy's occupations."""
    (_, _, v_shown), = _prepared(memo, "vacancy_occupation", v, _occupations, v, memo)
    p_occs = _prepared(memo, "person_occupations", p, _occupations, p, memo)
    return {"vacancy": v_shown, "profile": [shown for _, _, shown in p_occs]}


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
    rest = {k: v for k, v in occ.items() if k != "skill_profile"}
    profile = occ.get("skill_profile")
    return json.dumps(rest, sort_keys=True), frozenset(profile.items()) if profile is not None else None


# What an explanation leaves out of an occupation link: its skill profile (sixty ESCO ids)
# and its runners-up (more ids and scores), which say nothing to a reader; the occupation's
# score already holds what they measured. Stored with every pair, they were 60 % of it.
_NOT_SHOWN = frozenset({"skill_profile", "near"})


def _shown(occ: dict | None) -> dict | None:
    """An occupation link as the explanation shows it (without `_NOT_SHOWN`)."""
    return None if occ is None else {k: v for k, v in occ.items() if k not in _NOT_SHOWN}


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
    """Score one pair on every dimension (`score_many` of one pair: the same arithmetic).

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
    found = _score_pairs([(p, pe, v, ve)], calibration, weights, kb, keep_blocked, memo, min_score)
    return found[0] if found else None


@dataclass
class _Batch:
    """Pairs scored at once (`_score_pairs`): one person's against many vacancies, or one
    vacancy's against many people. Each distinct person's phrases are rows of `sims`, each
    distinct vacancy's phrases columns, and a pair's block is its person's rows by its
    vacancy's columns (a batch shares its person or its vacancy, so every block is a pair's)."""

    ps: list[ProfileDoc]
    pps: list[_PersonPhrases]
    vs: list[VacancyDoc]
    vps: list[_VacancyPhrases]
    people: np.ndarray      # (K,) each pair's person, numbered in order of first pair
    vacancies: np.ndarray   # (K,) each pair's vacancy, the same
    rows: np.ndarray        # (K,) the first row of each pair's person
    cols: np.ndarray        # (K,) the first column of each pair's vacancy
    sims: np.ndarray        # (the people's phrases, the vacancies' phrases)
    first_p: list[int]      # the first pair of each distinct person, in order (`_distinct`)
    first_v: list[int]      # the same of each distinct vacancy


def _score_pairs(pairs: Sequence[tuple[ProfileDoc, Embedding, VacancyDoc, Embedding]],
                 calibration: Calibration, weights: Mapping[str, float], kb, keep_blocked: bool,
                 memo: dict | None, min_score: float | None) -> list[PairScore]:
    """Score pairs that share their person or their vacancy: each dimension is one array
    over the pairs within reach, and only the pairs kept get their explanations (see
    `score_pair`). Each value is the float a pair scored alone gets: every pair's cosines
    come from its own product (one larger product gives other last bits), and every array
    step is the same double operation in the same order."""
    memo = {} if memo is None else memo
    reach, kept = _within_reach(pairs, kb, keep_blocked, memo)
    if not kept:
        return []
    b = _batch(kept, memo)
    columns, relevant, entries = _columns(b, kept, reach, calibration, memo)
    closeness = _occupation_closeness(b, memo)
    ks = list(range(len(kept)))
    if min_score is not None:
        # Rounding moves a score by less than ROUNDING_SLACK: the pairs further below the
        # floor are left out before their scores are rounded (most of a profile's are).
        rough = _combined_all(columns, closeness, weights, rounded=False)
        ks = np.flatnonzero(~(rough < min_score - ROUNDING_SLACK)).tolist()   # NaN kept, as before
    rounded = {d: [round(values[k], 4) for k in ks] for d, values in columns.items()}
    combined = _combined_all(rounded, [closeness[k] for k in ks], weights)
    out = []
    for i, (k, score) in enumerate(zip(ks, combined, strict=True)):
        if min_score is not None and score < min_score:
            continue
        scores = {d: values[i] for d, values in rounded.items()}
        if closeness[k] is not None:
            scores["occupation"] = round(closeness[k], 4)
        out.append(_pair_score(b, k, score, scores, entries, reach[k], float(relevant[k]),
                               _occupations_shown(b.ps[k], b.vs[k], memo)))
    return out


class _Context(NamedTuple):
    """What a pair's circumstances give, whatever its phrases: made once per distinct
    person context and vacancy context (`_within_reach`)."""

    location: float
    where: str
    verdict: Verdict | None     # None: out of reach (the rules are not asked)
    education: float
    language: float
    eligibility: float


def _within_reach(pairs: Sequence[tuple], kb, keep_blocked: bool, memo: dict) -> tuple[list[_Context], list]:
    """The pairs to score, and each one's context: those in the person's reach that the
    rules allow (or all of those, `keep_blocked`). A context depends on what `_person_context`
    and `_vacancy_context` number, so each distinct pair of those is made once per `memo`."""
    known = memo.setdefault("contexts", {})
    reach, kept = [], []
    last_p = last_v = None
    for pair in pairs:
        p, _, v, _ = pair
        if p is not last_p:
            last_p, p_no = p, _person_context(p, memo)
        if v is not last_v:
            last_v, v_no = v, _vacancy_context(v, kb, memo)
        context = known.get((p_no, v_no))
        if context is None:
            context = known[(p_no, v_no)] = _context(p, v, kb, memo)
        if context.location <= 0.0 or (context.verdict.verdict == "not_eligible" and not keep_blocked):
            continue
        reach.append(context)
        kept.append(pair)
    return reach, kept


def _context(p: ProfileDoc, v: VacancyDoc, kb, memo: dict) -> _Context:
    location, where = _location(p, v)
    if location <= 0.0:
        return _Context(location, where, None, 0.0, 0.0, 0.0)
    verdict = eligibility_of(p, v, kb, memo)
    return _Context(location, where, verdict, _education(p, v), _language(p, v), _eligibility(verdict))


def _city_key(city: str) -> str | None:
    """A city as `_location` compares it (None: not given)."""
    return normalise_phrase(city) if city else None


def _person_context(p: ProfileDoc, memo: dict) -> int:
    """The number of everything `_context` reads of a person (equal, one number)."""
    return _prepared(memo, "person context", p, _number_in, memo, "person contexts", _person_context_key, p)


def _vacancy_context(v: VacancyDoc, kb, memo: dict) -> int:
    """The number of everything `_context` reads of a vacancy (equal, one number)."""
    return _prepared(memo, "vacancy context", v, _number_in, memo, "vacancy contexts", _vacancy_context_key, v, kb)


def _number_in(memo: dict, table: str, make, *args) -> int:
    """The number of `make(*args)` in `memo`'s `table`."""
    return _number(_numbers(memo, table), make(*args))


def _person_context_key(p: ProfileDoc) -> tuple:
    """A person's facts as the rules read them (their country, education and languages too),
    and what `_location` reads besides."""
    return _person_key(p)[1], _city_key(p.city), p.relocate, p.target_countries


def _vacancy_context_key(v: VacancyDoc, kb) -> tuple:
    """A job's facts as the rules read them (its country, education, languages, whether
    remote), and what `_location` reads besides."""
    return _job_facts(v, kb), _city_key(v.city), v.accepts_relocation


def _columns(b: _Batch, kept: list, reach: list[_Context], calibration: Calibration,
             memo: dict) -> tuple[dict, np.ndarray, _Entries]:
    """Each dimension's scores over the batch (before rounding), the relevant years, and
    the evidence for each vacancy's skills."""
    scale = calibration.scale
    semantic = scale(np.array([pe.vector @ ve.vector for _, pe, _, ve in kept], dtype=np.float32))
    got, entries = _skill_weights(b, calibration.phrase_match, memo)
    possible = np.array([ESSENTIAL_WEIGHT * len(vp.essential) + len(vp.optional) for vp in b.vps])
    skills = np.divide(got, possible, out=np.zeros_like(got), where=possible > 0)
    for k in np.flatnonzero(possible == 0).tolist():
        skills[k] = float(scale(_best_match(b, k)))
    relevant = _relevant_years(b, calibration.phrase_match)
    need = np.array([v.experience_years for v in b.vs], dtype=np.float64)
    with np.errstate(over="ignore"):   # years over a tiny requirement: inf, then 1.0, as floats do
        experience = np.minimum(1.0, np.divide(relevant, need, out=np.ones_like(relevant), where=need > 0))
    experience[need <= 0] = 1.0
    location, _, _, education, language, eligibility = zip(*reach, strict=True)
    columns = {
        "semantic": semantic.tolist(),
        "skills": skills.tolist(),
        "experience": experience.tolist(),
        "education": list(education),
        "language": list(language),
        "location": list(location),
        "eligibility": list(eligibility),
    }
    return columns, relevant, entries


def _batch(pairs: list, memo: dict) -> _Batch:
    """The pairs' phrases, each pair's block the product a pair scored alone computes,
    raised where the words or the taxonomy say two phrases match."""
    ps, vs = [p for p, _, _, _ in pairs], [v for _, _, v, _ in pairs]
    people, first_p = _distinct(ps)
    vacancies, first_v = _distinct(vs)
    distinct_pps = [_prepared(memo, "person_phrases", ps[k], _person_phrases, ps[k]) for k in first_p]
    distinct_vps = [_prepared(memo, "vacancy_phrases", vs[k], _vacancy_phrases, vs[k], memo) for k in first_v]
    pps, vps = [distinct_pps[n] for n in people.tolist()], [distinct_vps[n] for n in vacancies.tolist()]
    row_of, col_of = _starts([len(pp.norm) for pp in distinct_pps]), _starts([len(vp.norm) for vp in distinct_vps])
    rows, cols = row_of[people], col_of[vacancies]
    sims = np.zeros((int(row_of[-1]), int(col_of[-1])), np.float32)
    for (_, pe, _, ve), pp, vp, r, c in zip(pairs, pps, vps, rows.tolist(), cols.tolist(), strict=True):
        if pp.norm and vp.norm:
            sims[r:r + len(pp.norm), c:c + len(vp.norm)] = pe.phrase_vectors @ ve.phrase_vectors.T
    b = _Batch(ps, pps, vs, vps, people, vacancies, rows, cols, sims, first_p, first_v)
    _raise_matches(b, memo)
    return b


def _distinct(docs: list) -> tuple[np.ndarray, list[int]]:
    """Each document's number (distinct documents numbered in order of first pair), and the
    place of each distinct document's first pair."""
    if all(d is docs[0] for d in docs):     # a batch shares its person or its vacancy
        return np.zeros(len(docs), dtype=np.int64), [0] if docs else []
    number: dict[int, int] = {}
    firsts: list[int] = []
    for k, d in enumerate(docs):
        if number.setdefault(id(d), len(firsts)) == len(firsts):
            firsts.append(k)
    return np.array([number[id(d)] for d in docs], dtype=np.int64), firsts


def _starts(widths: list[int]) -> np.ndarray:
    """Where each of consecutive blocks of `widths` starts, and (last) where they end."""
    return np.concatenate(([0], np.cumsum(widths, dtype=np.int64)))


def _raise_matches(b: _Batch, memo: dict) -> None:
    """Raise similarities where the words say it: the same phrase (1.0), or every word of
    the vacancy's phrase inside the person's ('cocina' in 'cocina venezolana', 0.9); and
    where the taxonomy does: both phrases linked to one ESCO skill (`TAXONOMY_MATCH`).
    Each person's match with each distinct (phrase, ESCO skill) is looked at once."""
    if not b.sims.size:
        return
    cells = _numbers(memo, "phrase cells")[1]
    cell_of_column = np.concatenate([b.vps[k].cells for k in b.first_v])
    people = [b.pps[k] for k in b.first_p]
    rows_of = np.array([len(pp.norm) for pp in people], dtype=np.int64)
    cols_of = np.array([len(b.vps[k].norm) for k in b.first_v], dtype=np.int64)
    both = (rows_of[b.people] > 0) & (cols_of[b.vacancies] > 0)
    if not both.any():
        return
    # Each (person, vacancy) block once (groups touch disjoint cells: their order is free).
    _, once = np.unique((b.people * (b.sims.shape[1] + 1) + b.cols)[both], return_index=True)
    person, first, width = b.people[both][once], b.cols[both][once], cols_of[b.vacancies[both][once]]
    row_of = b.rows[b.first_p].tolist()
    cols = np.repeat(first - (np.cumsum(width) - width), width) + np.arange(int(width.sum()))
    who = np.repeat(person, width)
    # Every (person, cell) once: grouped by sorting, each group's columns a slice.
    distinct, inverse = np.unique(who * len(cells) + cell_of_column[cols], return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(np.bincount(inverse, minlength=len(distinct))).tolist()
    for number, start, end in zip(distinct.tolist(), [0, *ends[:-1]], ends, strict=True):
        n, cell = divmod(number, len(cells))
        key, uri = cells[cell]
        _raise(b.sims, people[n], row_of[n], key, uri, cols, order[start:end])


def _raise(sims: np.ndarray, pp: _PersonPhrases, r: int, key: str, uri: str | None, cols: np.ndarray,
           at: np.ndarray) -> None:
    """Raise the similarities of the person's phrases (their first row `r`) to a vacancy
    phrase (`key`, linked to `uri`) in the columns `cols[at]` (see `_raise_matches`)."""
    exact = pp.rows_of_key.get(key)
    holding = _holding(pp, key)
    linked = pp.rows_of_uri.get(uri) if uri is not None and pp.rows_of_uri else None
    if not (holding or exact or linked):
        return
    cols = cols[at]
    if holding:
        block = np.ix_([r + i for i in holding], cols)
        sims[block] = np.maximum(sims[block], np.float32(0.9))
    if exact:
        sims[np.ix_([r + i for i in exact], cols)] = 1.0
    if linked:
        block = np.ix_([r + i for i in linked], cols)
        sims[block] = np.maximum(sims[block], np.float32(TAXONOMY_MATCH))


def _holding(pp: _PersonPhrases, key: str) -> list[int]:
    """The person's phrases holding every word of `key`, in order."""
    words_of, words = pp.rows_of_word, key.split()
    if not words or not all(w in words_of for w in words):
        return []
    return sorted(set(words_of[words[0]]).intersection(*(words_of[w] for w in words[1:])))


def _best_match(b: _Batch, k: int) -> float:
    """The similarity of the person's phrase closest to pair `k`'s vacancy title (0.0 when
    there is no such phrase on either side)."""
    j, n = b.vps[k].title_j, len(b.pps[k].norm)
    if j is None or n == 0:
        return 0.0
    return float(b.sims[b.rows[k]:b.rows[k] + n, b.cols[k] + j].max())


def _combined_all(columns: dict[str, list[float]], occupation: list[float | None],
                  weights: Mapping[str, float], rounded: bool = True) -> list[float] | np.ndarray:
    """`combine` of each pair, rounded, as arrays (`columns`: each dimension's rounded scores
    over the pairs): the pairs with an occupation closeness and those without are combined
    apart (their dimensions differ). Each pair's value is its own (element by element: the
    same whatever the other pairs). Not `rounded`: `columns` as they come, nothing rounded."""
    out = np.zeros(len(occupation))
    with_occupation = [k for k, o in enumerate(occupation) if o is not None]
    without = [k for k, o in enumerate(occupation) if o is None]
    for ks in (with_occupation, without):
        if not ks:
            continue
        pick = np.array(ks)
        scores = {d: np.asarray(values, dtype=np.float64)[pick] for d, values in columns.items()}
        if ks is with_occupation:
            scores["occupation"] = np.array([round(occupation[k], 4) if rounded else occupation[k] for k in ks])
        out[pick] = np.broadcast_to(_combine(scores, weights), pick.shape)
    return [round(value, 4) for value in out.tolist()] if rounded else out


def _pair_score(b: _Batch, k: int, score: float, scores: dict, entries: _Entries, context: _Context,
                relevant: float, occupations: dict) -> PairScore:
    """The `PairScore` of pair `k` of the batch, its explanation written."""
    v, vp = b.vs[k], b.vps[k]
    where, verdict = context.where, context.verdict
    matched, missing, missing_optional = _skill_lists(vp, entries.found(b, k))
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
    return PairScore(b.ps[k].id, v.id, score, scores, explanation)


def _skill_columns(v: VacancyDoc, v_index: Mapping[str, int]) -> tuple[list[int], list[int]]:
    """The columns of the vacancy's essential and optional skills, each once: 'Excel' and
    'excel' are two skills to the validator but one phrase here, and a skill listed as
    both counts as essential."""
    essential = [v_index[phrase_key(s)] for s in v.essential_skills if phrase_key(s) in v_index]
    optional = [v_index[phrase_key(s)] for s in v.optional_skills
                if phrase_key(s) in v_index and v_index[phrase_key(s)] not in essential]
    return list(dict.fromkeys(essential)), list(dict.fromkeys(optional))


# The kinds of evidence for a vacancy's skill (see `_skill_weights`).
NONE, OWN, TITLE, IMPLIED = 0, 1, 2, 3


@dataclass(frozen=True)
class _Entries:
    """Every pair's vacancy skills, in order (each vacancy's essential ones, then its
    optional ones), and the person's evidence for each."""

    pair: np.ndarray        # (E,) the pair (its place in the batch)
    column: np.ndarray      # (E,) the skill's column among the vacancy's phrases
    essential: np.ndarray   # (E,) bool
    kind: np.ndarray        # (E,) NONE, OWN, TITLE or IMPLIED
    row: np.ndarray         # (E,) the person's phrase that is the evidence (OWN, TITLE)
    similarity: np.ndarray  # (E,) its similarity (OWN, TITLE); the probability (IMPLIED)
    implied_by: dict        # entry -> the title an IMPLIED skill comes from
    starts: np.ndarray      # (K + 1,) each pair's first entry

    def found(self, b: _Batch, k: int) -> list:
        """Pair `k`'s vacancy skills as `_skill_lists` reads them: (column, essential,
        evidence or None), evidence being (by what, similarity, inferred, the weight of an
        inference)."""
        out = []
        for e in range(self.starts[k], self.starts[k + 1]):
            kind = self.kind[e]
            if kind == NONE:
                evidence = None
            elif kind == IMPLIED:
                probability = float(self.similarity[e])
                evidence = (self.implied_by[e], probability, True, probability)
            else:
                evidence = (b.pps[k].phrases[self.row[e]], float(self.similarity[e]), kind == TITLE, 1.0)
            out.append((int(self.column[e]), bool(self.essential[e]), evidence))
        return out


def _skill_weights(b: _Batch, threshold: float, memo: dict) -> tuple[np.ndarray, _Entries]:
    """Weigh each pair's vacancy skills the person has (an essential one `ESSENTIAL_WEIGHT`,
    an optional one 1; one only inferred from a job title `INFERRED_WEIGHT` of that): the
    weight each pair got, and the evidence for each skill (`_Entries`; `_skill_lists` puts
    it into words).

    The person's evidence for a skill is a skill they wrote, else (an inference) a job title,
    unless they said they do not have it, else an occupation their title links to that
    implies it (weighed by the link's probability)."""
    vps = b.vps
    counts = np.array([len(vp.skill_cols) for vp in vps], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)))
    pair = np.repeat(np.arange(len(vps)), counts)
    column = np.concatenate([vp.skill_cols for vp in vps])
    essential = (np.arange(len(pair)) - starts[pair]) < np.array([len(vp.essential) for vp in vps],
                                                                 dtype=np.int64)[pair]
    kind = np.full(len(pair), NONE, dtype=np.int8)
    row = np.zeros(len(pair), dtype=np.int64)
    similarity = np.zeros(len(pair), dtype=np.float64)
    declined = _declined(b, pair, column)
    _best_evidence(b, pair, column, threshold, declined, kind, row, similarity)
    uris = np.concatenate([vp.skill_uris for vp in vps])
    implied_by = _implied(b, pair, uris, np.flatnonzero((kind == NONE) & ~declined & (uris >= 0)), kind,
                          similarity, _numbers(memo, "skill uris")[1])
    weight = np.where(essential, ESSENTIAL_WEIGHT, 1.0)
    share = np.where(kind == OWN, 1.0, np.where(kind == NONE, 0.0, INFERRED_WEIGHT * np.where(
        kind == IMPLIED, similarity, 1.0)))
    got = np.bincount(pair, weights=weight * share, minlength=len(vps)).astype(np.float64)   # in order, as a loop adds
    return got, _Entries(pair, column, essential, kind, row, similarity, implied_by, starts)


def _declined(b: _Batch, pair: np.ndarray, column: np.ndarray) -> np.ndarray:
    """(E,) whether the person said they do not have each entry's skill."""
    declined = np.zeros(len(pair), dtype=bool)
    if any(pp.declined for pp in b.pps):
        for e, (k, j) in enumerate(zip(pair.tolist(), column.tolist(), strict=True)):
            declined[e] = b.vps[k].keys[j] in b.pps[k].declined
    return declined


def _best_evidence(b: _Batch, pair: np.ndarray, column: np.ndarray, threshold: float, declined: np.ndarray,
                   kind: np.ndarray, row: np.ndarray, similarity: np.ndarray) -> None:
    """Mark the entries the person has a phrase for: a skill they wrote (OWN), else a job
    title (TITLE, unless declined); each time the first of their phrases with the highest
    similarity, at or over `threshold`."""
    people = [b.pps[k] for k in b.first_p]
    widths = np.array([len(pp.norm) for pp in people], dtype=np.int64)
    most = int(widths.max()) if len(widths) else 0
    if not len(pair) or most == 0:
        return
    local = np.arange(most)
    valid = local[None, :] < widths[:, None]                                  # (people, most)
    own = np.zeros((len(people), most), dtype=bool)
    for n, pp in enumerate(people):
        own[n, :len(pp.norm)] = pp.own
    cells = b.sims[np.minimum(b.rows[pair][:, None] + local[None, :], b.sims.shape[0] - 1),
                   (b.cols[pair] + column)[:, None]]                          # (E, most)
    person = b.people[pair]
    for rows, what in ((own, OWN), (valid & ~own, TITLE)):
        masked = np.where(rows[person], cells, -np.inf)
        best = masked.argmax(axis=1)
        sim = masked[np.arange(len(pair)), best]
        hit = (kind == NONE) & (sim >= threshold)
        if what == TITLE:
            hit &= ~declined
        kind[hit], row[hit], similarity[hit] = what, best[hit], sim[hit]


def _implied(b: _Batch, pair: np.ndarray, uris: np.ndarray, open_entries: np.ndarray, kind: np.ndarray,
             similarity: np.ndarray, uri_of: list) -> dict:
    """Mark the entries (of `open_entries`, their ESCO skills numbered in `uris` as `uri_of`
    lists them) that an occupation the person's title links to implies (IMPLIED, the link's
    probability): entry -> the title. Each person's distinct skills are looked up once."""
    implied_by: dict[int, str] = {}
    implied = [b.ps[k].esco.get("implied_skills") for k in b.first_p]
    if not len(open_entries) or not any(implied):
        return implied_by
    person = b.people[pair[open_entries]]
    mine = np.array([bool(x) for x in implied])[person]
    entries, person = open_entries[mine], person[mine]
    distinct, inverse = np.unique(person * len(uri_of) + uris[entries], return_inverse=True)
    for d, number in enumerate(distinct.tolist()):
        n, uri = divmod(number, len(uri_of))
        hit = implied[n].get(uri_of[uri])
        if hit is not None:
            for e in entries[inverse == d].tolist():
                kind[e], similarity[e], implied_by[e] = IMPLIED, float(hit[0]), hit[1]
    return implied_by


def _skill_lists(vp: _VacancyPhrases, found: list) -> tuple[list[dict], list[str], list[str]]:
    """What an explanation says of the vacancy's skills: (matched, missing essential,
    missing optional), from `_Entries.found`."""
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


def _relevant_years(b: _Batch, threshold: float) -> np.ndarray:
    """Years of work that count for each pair's vacancy: those in jobs whose title is close
    to the vacancy's title fully, the others by `UNRELATED_JOB_SHARE`."""
    jobs = [len(p.jobs) for p in b.ps]
    pair = np.repeat(np.arange(len(b.ps)), jobs)
    years = np.array([float(job.years) for p in b.ps for job in p.jobs], dtype=np.float64)
    local = np.array([i for pp in b.pps for i in pp.job_rows], dtype=np.int64)
    titles = np.array([-1 if vp.title_j is None else vp.title_j for vp in b.vps], dtype=np.int64)
    close = (local >= 0) & (titles[pair] >= 0)
    if close.any():
        at = close.nonzero()
        cells = b.sims[b.rows[pair[at]] + local[at], b.cols[pair[at]] + titles[pair[at]]]
        close[at] = cells >= threshold
    share = np.where(close, 1.0, UNRELATED_JOB_SHARE)
    return np.bincount(pair, weights=years * share, minlength=len(b.ps)).astype(np.float64)   # in order, as a loop adds


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
    for run in _runs(pairs):
        for result in _score_pairs(run, calibration, weights, kb, left_out is not None, memo, min_score):
            if result.explanation.get("verdict") == "not_eligible":
                left_out.append(result)
            else:
                out.append(result)
    return out


def _runs(pairs: Iterable[tuple]) -> Iterable[list]:
    """The pairs in runs scored at once: pairs in a row that share their person (a
    profile's job) or their vacancy (a vacancy's)."""
    run: list = []
    for pair in pairs:
        if run:
            first = run[0]
            by_person = pair[0] is first[0] if len(run) == 1 else run[1][0] is first[0]
            if not (pair[0] is first[0] if by_person else pair[2] is first[2]):
                yield run
                run = []
        run.append(pair)
    if run:
        yield run


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

