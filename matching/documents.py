"""What matching knows of a profile and a vacancy, and their embeddings."""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .encoders import (
    MAX_ENCODE_CHARS,
    PHRASE_VERSION,
    Encoder,
    centre_phrases,
    content_key,
    cut_to_tokens,
    token_counts,
)

__all__ = [
    "Embedding",
    "Job",
    "ProfileDoc",
    "VacancyDoc",
    "embed_profile",
    "embed_vacancy",
    "normalise_phrase",
    "phrase_key",
    "profile_key",
    "vacancy_key",
]

# What matching reads of a profile or a vacancy, whatever was typed within the request
# limits: a job's cost is bounded by these, not by the input (encoding costs about 0.15 ms a
# character on 2 cores; docs/benchmarks.md, "A job's cost is bounded").
MAX_FIELD_CHARS = 400    # of each field in the whole text (the summary, the skills, a job, a description)
MAX_TEXT_CHARS = 800     # the whole text, encoded once (at most MAX_ENCODE_CHARS)
MAX_PHRASE_CHARS = 120   # of each phrase encoded one by one (a skill as the API takes it; ESCO's labels but one fit)
# Phrases: job titles (a profile's, in the order given; a vacancy's one) and skills (a
# vacancy's essential ones first), each within a budget of its own, so that neither crowds
# the other out. A profile of 5 jobs and 20 skills takes about 150 and 400 characters.
MAX_TITLE_PHRASES, MAX_TITLE_CHARS = 8, 240
MAX_SKILL_PHRASES, MAX_SKILL_CHARS = 40, 640
MAX_PHRASES = MAX_TITLE_PHRASES + MAX_SKILL_PHRASES
MAX_PHRASES_CHARS = MAX_TITLE_CHARS + MAX_SKILL_CHARS
assert MAX_TEXT_CHARS <= MAX_ENCODE_CHARS
# What a profile's job encodes, in the encoder's tokens (its cost is linear in them; a
# character budget lets made-up or capitalised words cost three times what prose does):
# the whole text cut to PROFILE_TEXT_TOKENS, and its phrases (its job titles within
# PROFILE_TITLE_TOKENS, its skills as listed, its other titles: `encoded_phrases`) while
# they fit in PROFILE_PHRASE_TOKENS. A phrase past that is not encoded (its vector is
# zero): it is still matched by its words and by the ESCO skill it links to
# (`matching.scoring._raise_matches`), not by meaning. Issue 18 bounds the most expensive
# profile's job at 3x the median one; these are what fits (docs/benchmarks.md, "A budget in
# tokens"). Every demo profile, and one of 3 jobs and 5 skills, fits whole.
PROFILE_TEXT_TOKENS = 112
PROFILE_PHRASE_TOKENS = 80
PROFILE_TITLE_TOKENS = 48   # of those, the most job titles take (four of the median's 11): skills keep the rest


@dataclass(frozen=True)
class Job:
    title: str
    years: float = 0.0
    country: str | None = None
    description: str = ""


def person_reaches(country: str, home: str, targets, relocate: bool) -> bool:
    """Whether a job in `country` is within a person's reach: where they live, a country they
    chose, or any country when they would move and chose none. A person who chose countries
    and would move means those countries (issue 15: "the person's choices hold")."""
    return country == home or country in (targets or ()) or (relocate and not targets)


@dataclass(frozen=True)
class ProfileDoc:
    """A job seeker as matching sees them: plain data, no ORM object."""

    id: int
    country: str
    city: str = ""
    summary: str = ""
    jobs: tuple[Job, ...] = ()
    skills: tuple[str, ...] = ()
    languages: dict[str, str] = field(default_factory=dict)  # code -> level
    education_level: str | None = None
    education_country: str | None = None
    education_recognised_in: tuple[str, ...] = ()   # countries where the degree is already recognised
    target_countries: tuple[str, ...] = ()
    relocate: bool = False
    nationalities: tuple[str, ...] = ()
    legal_status: str | None = None
    locale: str = "es"
    esco: dict = field(default_factory=dict)  # see matching.annotate
    # Skills the person said they do not have, when Puente inferred them from a job title.
    declined_skills: tuple[str, ...] = ()

    @property
    def anywhere(self) -> bool:
        """Willing to move to any country (see `person_reaches`)."""
        return self.relocate and not self.target_countries

    def reaches(self, country: str) -> bool:
        """Whether a job in `country` is within the person's reach (see `person_reaches`)."""
        return person_reaches(country, self.country, self.target_countries, self.relocate)

    def text(self) -> str:
        """Return the text that stands for the whole profile in the semantic dimension.

        Returns:
            The summary, the skills, and each job's title and description, one a line,
            each cut to `MAX_FIELD_CHARS`, once each, all cut to `MAX_TEXT_CHARS`.
        """
        parts = [self.summary, ", ".join(self.skills)]
        for job in self.jobs:
            parts.append(f"{job.title}. {job.description}".strip())
        return _clip(parts)

    def phrases(self) -> list[str]:
        """Return the short phrases matched one by one: job titles first, then skills.

        Returns:
            The phrases, each cut to `MAX_PHRASE_CHARS`, once per normalised form, at
            most `MAX_PHRASES` and `MAX_PHRASES_CHARS` in all.
        """
        return _unique([j.title for j in self.jobs], self.skills)


@dataclass(frozen=True)
class VacancyDoc:
    """A vacancy as matching sees it."""

    id: int
    title: str
    country: str
    description: str = ""
    essential_skills: tuple[str, ...] = ()
    optional_skills: tuple[str, ...] = ()
    city: str = ""
    remote: bool = False
    languages: tuple[str, ...] = ()
    education_level: str | None = None
    experience_years: float = 0.0
    accepts_relocation: bool = True
    esco: dict = field(default_factory=dict)  # see matching.annotate
    essential_skills_given: bool = True  # False: the essential skills come from its ESCO occupation

    def text(self) -> str:
        """Return the text that stands for the whole vacancy in the semantic dimension.

        Returns:
            The title, the skills and the description, one a line, each cut to
            `MAX_FIELD_CHARS`, all cut to `MAX_TEXT_CHARS`.
        """
        skills = ", ".join((*self.essential_skills, *self.optional_skills))
        return _clip([self.title, skills, self.description])

    def phrases(self) -> list[str]:
        """Return the title, then the essential, then the optional skills (deduplicated).

        Returns:
            The phrases, each cut to `MAX_PHRASE_CHARS`, once per normalised form, at
            most `MAX_PHRASES` and `MAX_PHRASES_CHARS` in all.
        """
        return _unique([self.title], (*self.essential_skills, *self.optional_skills))


@dataclass(frozen=True)
class Embedding:
    """The vector of a whole text and the vectors of its phrases, in phrase order."""

    vector: np.ndarray            # (d,)
    phrase_vectors: np.ndarray    # (n, d)

    def to_bytes(self) -> bytes:
        """Return the vectors as stored: float32 rows, the whole text's first.

        Returns:
            The bytes `from_bytes` reads.
        """
        return np.vstack([self.vector[None, :], self.phrase_vectors]).astype(np.float32).tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes, dim: int) -> Embedding:
        """Read an embedding stored by `to_bytes`.

        Args:
            blob: the bytes.
            dim: the encoder's dimension.

        Returns:
            The `Embedding` (its arrays are views of `blob`, read-only).
        """
        rows = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
        return cls(rows[0], rows[1:])


@lru_cache(maxsize=1 << 16)
def normalise_phrase(text: str) -> str:
    """Lower-case, strip accents and extra spaces: 'Enfermería ' -> 'enfermeria'.

    Cached: scoring normalises the same phrases for every pair (profiling showed it as
    the largest single cost of `score_pair`). Folded twice, as Unicode's compatibility
    caseless match folds case and decomposes twice: a compatibility character can
    decompose into capitals ('㎒' -> 'MHz'), and a key must not change when normalised again.

    Args:
        text: a phrase.

    Returns:
        The phrase folded, its words separated by single spaces.
    """
    for _ in range(2):
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def phrase_key(text: str) -> str:
    """Return the key a phrase is matched by: its normalised head, as `phrases()` keeps it
    (a skill longer than MAX_PHRASE_CHARS is found by its first characters).

    Args:
        text: a phrase (None: '').

    Returns:
        The normalised first `MAX_PHRASE_CHARS` characters.
    """
    return normalise_phrase((text or "").strip()[:MAX_PHRASE_CHARS])


def bounded_phrases(items: Sequence[str], most: int, chars: int, cut: int = MAX_PHRASE_CHARS,
                    seen: set[str] | None = None) -> list[str]:
    """The first `most` phrases within `chars` characters in all, each cut to `cut`, once per
    normalised form (`seen`: forms already taken, updated), skipping those with no words."""
    seen = set() if seen is None else seen
    out: list[str] = []
    total = 0
    for item in items:
        item = (item or "").strip()[:cut]
        key = normalise_phrase(item)
        if not key or key in seen:
            continue
        if len(out) == most or total + len(item) > chars:
            break
        seen.add(key)
        out.append(item)
        total += len(item)
    return out


def _unique(titles: Sequence[str], skills: Sequence[str]) -> list[str]:
    """The titles, then the skills, once per normalised form, each cut, each kind within its budget."""
    seen: set[str] = set()
    return (bounded_phrases(titles, MAX_TITLE_PHRASES, MAX_TITLE_CHARS, seen=seen)
            + bounded_phrases(skills, MAX_SKILL_PHRASES, MAX_SKILL_CHARS, seen=seen))


def _clip(parts: Sequence[str]) -> str:
    """The fields one a line, each cut to `MAX_FIELD_CHARS`, each once, all to `MAX_TEXT_CHARS`."""
    fields = dict.fromkeys(p.strip()[:MAX_FIELD_CHARS] for p in parts if p and p.strip())
    return "\n".join(fields)[:MAX_TEXT_CHARS]


def profile_key(encoder: Encoder, doc: ProfileDoc) -> str:
    """Return the cache key of a profile's embedding under `encoder`.

    Args:
        encoder: the encoder.
        doc: the profile.

    Returns:
        A hash of the encoder, its phrase centring and the profile's texts.
    """
    budget = f"tokens-{PROFILE_TEXT_TOKENS}-{PROFILE_PHRASE_TOKENS}-{PROFILE_TITLE_TOKENS}-v1"   # and their order
    return content_key(encoder.version + PHRASE_VERSION + budget, "query", [doc.text(), *doc.phrases()])


def vacancy_key(encoder: Encoder, doc: VacancyDoc) -> str:
    """Return the cache key of a vacancy's embedding under `encoder`.

    Args:
        encoder: the encoder.
        doc: the vacancy.

    Returns:
        A hash of the encoder, its phrase centring and the vacancy's texts.
    """
    return content_key(encoder.version + PHRASE_VERSION, "document", [doc.text(), *doc.phrases()])


def _embed(encoder: Encoder, text: str, phrases: list[str], role, encoded: Sequence[int] | None = None) -> Embedding:
    # The whole text is encoded in its retrieval role; phrases are compared phrase to
    # phrase, a symmetric task, so both sides encode them as queries (as e5 advises).
    # Only the phrases at `encoded` (None: all) are; the others' vectors are zero.
    vector = encoder.encode([text or " "], role=role)[0]
    rows = list(range(len(phrases))) if encoded is None else sorted(encoded)
    phrase_vectors = np.zeros((len(phrases), encoder.dim), dtype=np.float32)
    if rows:
        phrase_vectors[rows] = centre_phrases(encoder.encode([phrases[i] for i in rows], role="query"),
                                              encoder.phrase_centre)
    return Embedding(vector, phrase_vectors)


def encoded_phrases(encoder: Encoder, doc: ProfileDoc, budget: int | None = None) -> list[int]:
    """Which of a profile's phrases (`doc.phrases()`) are encoded: its job titles in order
    while they fit in `PROFILE_TITLE_TOKENS` (a job's years count where its title is near the
    vacancy's), then its skills as listed, then its other titles, each if it still fits in
    `budget` tokens in all (None: `PROFILE_PHRASE_TOKENS`).

    Returns:
        Their places in `doc.phrases()`, in order.
    """
    phrases = doc.phrases()
    budget = PROFILE_PHRASE_TOKENS if budget is None else budget
    titles = len(bounded_phrases([j.title for j in doc.jobs], MAX_TITLE_PHRASES, MAX_TITLE_CHARS))
    tokens = token_counts(encoder, phrases, "query")
    taken, left = set(), budget
    for places, room in ((range(titles), PROFILE_TITLE_TOKENS), (range(titles, len(phrases)), budget),
                         (range(titles), budget)):
        for i in places:
            if i not in taken and tokens[i] <= min(room, left):
                taken.add(i)
                left -= tokens[i]
                room -= tokens[i]
    return sorted(taken)


def embed_profile(encoder: Encoder, doc: ProfileDoc) -> Embedding:
    """Embed a profile: its whole text and each of its phrases, as queries.

    Args:
        encoder: the encoder to use.
        doc: the profile.

    Returns:
        An `Embedding` whose phrase vectors follow `doc.phrases()`: the whole text cut to
        `PROFILE_TEXT_TOKENS`, the phrases that fit in `PROFILE_PHRASE_TOKENS` encoded,
        the others' vectors zero.
    """
    text = cut_to_tokens(encoder, doc.text(), PROFILE_TEXT_TOKENS, "query")
    return _embed(encoder, text, doc.phrases(), "query", encoded_phrases(encoder, doc))


def embed_vacancy(encoder: Encoder, doc: VacancyDoc) -> Embedding:
    """Embed a vacancy: its whole text and each of its phrases, as documents.

    Args:
        encoder: the encoder to use.
        doc: the vacancy.

    Returns:
        An `Embedding` whose phrase vectors follow `doc.phrases()`.
    """
    return _embed(encoder, doc.text(), doc.phrases(), "document")
