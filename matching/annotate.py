"""Ground profiles and vacancies in ESCO: their occupations and skills, with confidence.

An annotation is plain JSON, stored with the row and recomputed only when the row's text
or the taxonomy changes:

    {"occupations": [{"phrase", "uri", "isco", "score", "labels": {"es": ..., "en": ...}}],
     "skills": {"<normalised phrase>": {"uri", "score"}},
     "inherited_skills": [...]}          # vacancies without skills: their occupation's
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .documents import MAX_SKILL_CHARS, MAX_SKILL_PHRASES, bounded_phrases, phrase_key
from .encoders import content_key, cut_to_tokens, token_counts
from .index import TaxonomyIndex
from .linking import Link
from .taxonomy import Concept

__all__ = ["INHERITED_SKILLS", "OCCUPATION_THRESHOLD", "RANKED_THRESHOLD", "SKILL_THRESHOLD", "annotate", "annotate_many",
           "annotation_key"]

# A link below these scores is not trusted. On ESCO's Spanish labels the occupation
# linker's first answer is right 78 % of the time overall; most wrong first answers are
# siblings in the same ISCO group, which is what the occupation dimension compares.
OCCUPATION_THRESHOLD = 0.5
# With the ranking model (`matching.title_ranker`) a title's links score the probability that
# they are right: the first is kept from this probability on (with its siblings': see
# `_confidence`), and the next ones (up to
# ALTERNATIVES) from NEAR_PROBABILITY, so that the occupation dimension weighs each by its
# probability and a wrong first link costs a pair part of its score, not all of it.
# Chosen on the development half of the real titles (docs/evaluation.md).
RANKED_THRESHOLD = 0.2
NEAR_PROBABILITY = 0.05
# A skill is implied by a title's occupation (and offered to the person as one they probably
# have) only from a link at least this likely: a nurse is not asked about childbirth because
# midwife was her title's fourth link.
IMPLIED_PROBABILITY = 0.25
SKILL_THRESHOLD = 0.75
INHERITED_SKILLS = 8
ALTERNATIVES = 5        # links kept per title: the first and close runners-up
NEAR_SHARE = 0.7        # a runner-up scoring at least this share of the first is close
# A profile with no linked job title gets the occupation its skills point to, when at
# least this many skills are linked and this share of them is needed by that occupation.
MIN_SKILLS_FOR_OCCUPATION = 3
SKILLS_COVERED = 0.6
LABEL_LANGUAGES = ("es", "pt", "en")
# What a row's linking reads, whatever was typed (a job's cost is bounded by it): its first
# titles and skills, each once (by normalised form), each cut as a phrase is
# (`documents.MAX_PHRASE_CHARS`), the skills within the characters the phrases take
# (`documents.MAX_SKILL_CHARS`). Titles cost an encoding each; skills their characters
# against every skill label's.
MAX_LINKED_TITLES = 3   # the first jobs given (most people give the latest first)
MAX_LINKED_TITLE_CHARS = 80   # of each title: what names the trade comes first
# ... and in the encoder's tokens, counting what linking encodes of a title (in lower case,
# and again in ESCO's words when it has a regional one): each title at most
# MAX_LINKED_TITLE_TOKENS (every title of tests/data/real_titles fits: 31 at most), a row's
# titles MAX_LINKED_TITLES_TOKENS in all (three titles of the median's 11).
MAX_LINKED_TITLE_TOKENS = 32
MAX_LINKED_TITLES_TOKENS = 40
MAX_LINKED_SKILLS = MAX_SKILL_PHRASES


def annotation_key(index: TaxonomyIndex, parts: Sequence[str]) -> str:
    """Return the hash an annotation is cached under: the texts and the taxonomy.

    Args:
        index: the taxonomy index (its fingerprint changes with the taxonomy, the
            encoder and the linking rules).
        parts: the texts annotated.

    Returns:
        32 hex digits.
    """
    return content_key(index.fingerprint, "esco", parts)[:32]


def _labels(concept: Concept) -> dict[str, str]:
    return {lang: concept.labels[lang][0] for lang in LABEL_LANGUAGES if concept.labels.get(lang)}


def annotate(index: TaxonomyIndex, titles: Sequence[str], skills: Sequence[str],
             inherit_for: str | None = None) -> dict:
    """Link job titles to occupations and skill phrases to skills.

    Args:
        index: the taxonomy index.
        titles: job titles (a profile's past jobs, or a vacancy's title).
        skills: skill phrases.
        inherit_for: a language code to fill `inherited_skills` with the essential skills
            of the first title's occupation (a vacancy that lists no skills); None: don't.

    Returns:
        The annotation (see the module docstring); links below the thresholds are left out.
    """
    return annotate_many(index, [(titles, skills, inherit_for)])[0]


def annotate_many(index: TaxonomyIndex, items: Sequence[tuple[Sequence[str], Sequence[str], str | None]]) -> list[dict]:
    """Annotate many rows at once: one batched linking call for all their titles and skills.

    Args:
        index: the taxonomy index.
        items: (titles, skills, inherit_for) per row, as for `annotate`.

    Returns:
        One annotation per row, in order.
    """
    # The first titles and skills that still say something once normalised (linking skips the
    # others), each once, within their budgets.
    items = [(_title_tokens(index, bounded_phrases(titles, MAX_LINKED_TITLES, MAX_LINKED_TITLES * MAX_LINKED_TITLE_CHARS,
                                                   cut=MAX_LINKED_TITLE_CHARS)),
              bounded_phrases(skills, MAX_LINKED_SKILLS, MAX_SKILL_CHARS), inherit) for titles, skills, inherit in items]
    all_titles = [t for titles, _, _ in items for t in titles]
    all_skills = [s for _, skills, _ in items for s in skills]
    title_links = iter(index.link_occupations(all_titles, top_k=ALTERNATIVES) if all_titles else [])
    skill_links = iter(index.link_skills(all_skills, top_k=1) if all_skills else [])
    out = []
    for titles, skills, inherit_for in items:
        out.append(_one(index, [(t, next(title_links)) for t in titles], [(s, next(skill_links)) for s in skills],
                        inherit_for))
    return out


def _title_tokens(index: TaxonomyIndex, titles: list[str]) -> list[str]:
    """The titles within the encoder's token budgets, counting what linking encodes of each
    (`ConceptLinker.encoded_texts`: the title, and its regional wording when that differs):
    each title cut at a word to `MAX_LINKED_TITLE_TOKENS`, the first ones within
    `MAX_LINKED_TITLES_TOKENS` in all."""
    linker = index.occupations
    if not linker.encodes:
        return titles

    def cost(text: str) -> int:
        return sum(token_counts(linker.encoder, linker.encoded_texts(text), "query"))

    out, left = [], MAX_LINKED_TITLES_TOKENS
    for title in titles:
        title = cut_to_tokens(linker.encoder, title, min(MAX_LINKED_TITLE_TOKENS, left), cost=cost)
        if not title:
            break
        out.append(title)
        left -= cost(title)
    return out


def _one(index: TaxonomyIndex, title_links, skill_links, inherit_for: str | None) -> dict:
    ranked = index.occupations.ranker is not None
    threshold = RANKED_THRESHOLD if ranked else OCCUPATION_THRESHOLD
    occupations = [_title_occupation(index, title, links, ranked) for title, links in title_links
                   if links and _confidence(index, links, ranked) >= threshold]
    linked_skills = {phrase_key(phrase): {"uri": index.skill(links[0].index).uri, "score": links[0].score}
                     for phrase, links in skill_links if links and links[0].score >= SKILL_THRESHOLD}
    if not occupations and len(linked_skills) >= MIN_SKILLS_FOR_OCCUPATION:
        occupations += _occupation_from_skills(index, linked_skills)
    out = {"occupations": occupations, "skills": linked_skills}
    if ranked and occupations and not inherit_for:
        out["implied_skills"] = _implied_skills(index, occupations)
    if inherit_for and occupations:
        _inherit_skills(index, out, occupations[0]["uri"], inherit_for)
    return out


def _confidence(index: TaxonomyIndex, links: list[Link], ranked: bool) -> float:
    """How sure the first link is. With probabilities: those of the links in its ISCO-08 minor
    group added up, since close siblings share the mass ('ICU nurse': specialist nurse,
    nurse responsible for general care, advanced nurse practitioner), and matching compares
    the work they involve, not which sibling won."""
    if not ranked:
        return links[0].score
    family = (index.occupation(links[0].index).isco or "")[:3]
    if not family:
        return links[0].score
    return links[0].score + sum(x.score for x in links[1:] if (index.occupation(x.index).isco or "")[:3] == family)


def _title_occupation(index: TaxonomyIndex, title: str, links: list[Link], ranked: bool) -> dict:
    """The occupation a job title links to first, with its close runners-up; `ranked`: the
    scores are probabilities (then marked so: `matching.scoring` weighs each link by it)."""
    concept = index.occupation(links[0].index)
    # Close runners-up too: ESCO's labels overlap ('enfermero/enfermera' names an
    # ISCO 5329 occupation), so the occupation dimension looks at all of them.
    floor = NEAR_PROBABILITY if ranked else links[0].score * NEAR_SHARE
    near = [{"uri": index.occupation(x.index).uri, "isco": index.occupation(x.index).isco,
             "score": x.score} for x in links[1:] if x.score >= floor]
    out = {"phrase": title, "uri": concept.uri, "isco": concept.isco,
           "score": links[0].score, "labels": _labels(concept), "near": near,
           **({"regulated": True} if concept.regulated else {})}
    if ranked:
        out["probability"] = True
        out["confidence"] = round(_confidence(index, links, ranked), 4)
        kept = [links[0], *(x for x in links[1:] if x.score >= floor)]
        out["skill_profile"] = index.skill_profile([(x.index, x.score) for x in kept])
    return out


def _occupation_from_skills(index: TaxonomyIndex, linked_skills: dict) -> list[dict]:
    """No job title to go by: the occupation whose needs the skills cover best, if they
    cover enough of them (a list of one), else none."""
    links = [Link(index.skill_position(v["uri"]), v["score"]) for v in linked_skills.values()]
    scores = index.occupations_from_skills([links])[0]
    best = int(np.argmax(scores))
    need = set(index.taxonomy.essential.get(best, [])) | set(index.taxonomy.optional.get(best, []))
    share = sum(1 for link in links if link.index in need) / len(links)
    if share < SKILLS_COVERED:
        return []
    concept = index.occupation(best)
    return [{"phrase": "", "uri": concept.uri, "isco": concept.isco, "score": round(share, 4),
             "labels": _labels(concept), "from_skills": True}]


def _implied_skills(index: TaxonomyIndex, occupations: list[dict]) -> dict[str, list]:
    """The essential skills of the occupations a person's titles link to, each with the
    probability of the likeliest link that implies it and that title: {skill uri:
    [probability, title]}. Matching counts them as inferred (`matching.scoring`), by their
    probability: a doubtful link implies little."""
    out: dict[str, list] = {}
    for occ in occupations:
        for uri, probability in [(occ["uri"], occ["score"]), *((n["uri"], n["score"]) for n in occ.get("near", []))]:
            if probability < IMPLIED_PROBABILITY:
                continue
            for s in index.taxonomy.essential.get(index.occupation_position(uri), []):
                skill = index.skill(s).uri
                if probability > out.get(skill, (0.0,))[0]:
                    out[skill] = [round(float(probability), 4), occ["phrase"]]
    return out


def _inherit_skills(index: TaxonomyIndex, out: dict, occupation_uri: str, lang: str) -> None:
    """Give a vacancy without skills the first essential skills of its occupation, in `lang`."""
    occ_index = index.occupation_position(occupation_uri)
    essential = index.taxonomy.essential.get(occ_index, [])[:INHERITED_SKILLS]
    out["inherited_skills"] = [index.skill(s).label(lang) for s in essential]
    for s in essential:
        label = index.skill(s).label(lang)
        out["skills"][phrase_key(label)] = {"uri": index.skill(s).uri, "score": 1.0}
