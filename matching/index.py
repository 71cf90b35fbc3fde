"""The taxonomy ready for use: occupation and skill linkers, with vectors cached on disk."""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoders import PHRASE_VERSION, Encoder, content_key
from .files import write_atomically
from .linking import ConceptLinker, Link
from .shipped import shipped_vectors
from .taxonomy import Concept, Taxonomy

__all__ = ["OCCUPATION_LEXICAL_WEIGHT", "TaxonomyIndex", "build_index"]

# Shares of the character view, tuned on ESCO labels (docs/evaluation.md), never on a test set.
OCCUPATION_LEXICAL_WEIGHT = 0.1
# Bump when linking rules change, so that stored annotations are computed again.
ANNOTATION_VERSION = "links-8"
# Entries of a title's skill profile (`TaxonomyIndex.skill_profile`) kept in its annotation.
SKILL_PROFILE_SIZE = 60
log = logging.getLogger(__name__)


@dataclass
class TaxonomyIndex:
    """The taxonomy and its two linkers."""

    taxonomy: Taxonomy
    occupations: ConceptLinker
    skills: ConceptLinker
    fingerprint: str = ""

    def __post_init__(self):
        self._occ_pos = {c.uri: i for i, c in enumerate(self.taxonomy.occupations)}
        self._skill_pos = {c.uri: i for i, c in enumerate(self.taxonomy.skills)}
        self._need = None

    def skill_position(self, uri: str) -> int:
        """Return the position of a skill in the taxonomy.

        Args:
            uri: the skill's ESCO URI.

        Returns:
            Its index in `taxonomy.skills` (KeyError if unknown).
        """
        return self._skill_pos[uri]

    def _requirements(self):
        """(occupations x skills) sparse weights: essential 2, optional 1, times the skill's IDF."""
        if self._need is None:
            from scipy import sparse

            tax = self.taxonomy
            rows, cols, vals = [], [], []
            for weight, relation in ((1.0, tax.optional), (2.0, tax.essential)):
                for o, skills in relation.items():
                    rows += [o] * len(skills)
                    cols += list(skills)
                    vals += [weight] * len(skills)
            need = sparse.coo_matrix((vals, (rows, cols)), shape=(len(tax.occupations), len(tax.skills)),
                                     dtype=np.float32).tocsr()
            need.sum_duplicates()
            need.data = np.minimum(need.data, 2.0)  # a skill both essential and optional counts once
            df = np.bincount(need.indices, minlength=len(tax.skills))
            idf = (np.log((1 + len(tax.occupations)) / (1 + df)) + 1.0).astype(np.float32)
            need = need.multiply(idf[None, :]).tocsr()
            norm = np.sqrt(np.asarray(need.sum(axis=1)).ravel()) + 1e-6
            self._need = (need, norm)
        return self._need

    def occupations_from_skills(self, skills: Sequence[Sequence[Link]]) -> np.ndarray:
        """Score every occupation by the ESCO skills a person has: (n_people, n_occupations).

        Args:
            skills: per person, their skill phrases' links (`link_skills`), already
                filtered to the trusted ones.

        Returns:
            Scores in [0, 1] per row (the best occupation of a row scores 1): needed skills
            the person has, essential ones twice, rare ones more, over the square root of
            all the occupation needs (so that broad occupations do not win by size).
        """
        need, norm = self._requirements()
        from scipy import sparse

        rows, cols, vals = [], [], []
        for r, links in enumerate(skills):
            for link in links:
                rows.append(r)
                cols.append(link.index)
                vals.append(link.score)
        have = sparse.coo_matrix((vals, (rows, cols)), shape=(len(skills), len(self.taxonomy.skills)),
                                 dtype=np.float32).tocsr()
        have.sum_duplicates()
        have.data = np.minimum(have.data, 1.0)
        scores = np.asarray((have @ need.T).todense(), dtype=np.float32) / norm[None, :]
        return scores / (scores.max(axis=1, keepdims=True) + 1e-9)

    def skill_profile(self, links: Sequence[tuple[int, float]], keep: int = SKILL_PROFILE_SIZE) -> dict[str, float]:
        """What a title's occupations need, each weighed by the probability of its link: the
        sum of their skill requirements (essential 2, optional 1, rare skills more), its
        `keep` largest entries, scaled to unit length. Two titles' profiles compared by
        cosine say how close their occupations are by the work they involve, also when the
        links differ ('nurse' and 'nurse assistant', a wrong first link among right ones).

        Args:
            links: (occupation position, probability) of a title's links.
            keep: entries kept.

        Returns:
            {skill id (the last part of its URI): weight}; empty if none of the occupations
            has skills.
        """
        need, _ = self._requirements()
        total: dict[int, float] = {}
        for position, probability in links:
            row = need.getrow(position)
            for j, value in zip(row.indices, row.data, strict=True):
                total[int(j)] = total.get(int(j), 0.0) + float(value) * float(probability)
        top = sorted(total.items(), key=lambda kv: -kv[1])[:keep]
        length = sum(v * v for _, v in top) ** 0.5
        if length <= 0:
            return {}
        return {self.taxonomy.skills[j].uri.rsplit("/", 1)[-1]: round(v / length, 4) for j, v in top}

    def occupation_position(self, uri: str) -> int:
        """Return the position of an occupation in the taxonomy.

        Args:
            uri: the occupation's ESCO URI.

        Returns:
            Its index in `taxonomy.occupations` (KeyError if unknown).
        """
        return self._occ_pos[uri]

    def link_occupations(self, titles: Sequence[str], top_k: int = 5) -> list[list[Link]]:
        """Link job titles to ESCO occupations.

        Args:
            titles: job titles in any language the taxonomy has.
            top_k: how many occupations per title.

        Returns:
            Per title, its `Link`s to occupations, best first (none for an empty title).
        """
        return self.occupations.link(titles, top_k)

    def link_skills(self, phrases: Sequence[str], top_k: int = 1) -> list[list[Link]]:
        """Link skill phrases to ESCO skills.

        Args:
            phrases: skill phrases in any language the taxonomy has.
            top_k: how many skills per phrase.

        Returns:
            Per phrase, its `Link`s to skills, best first (none for an empty phrase).
        """
        return self.skills.link(phrases, top_k)

    def occupation(self, i: int) -> Concept:
        """Return the occupation at position `i` (as a `Link` names it).

        Args:
            i: the position.

        Returns:
            The `Concept`.
        """
        return self.taxonomy.occupations[i]

    def skill(self, i: int) -> Concept:
        """Return the skill at position `i` (as a `Link` names it).

        Args:
            i: the position.

        Returns:
            The `Concept`.
        """
        return self.taxonomy.skills[i]


def _fingerprint(encoder: Encoder, labels: Sequence[str]) -> str:
    """The cache key of label vectors: the encoder, its phrase centring, the shipped build, the labels."""
    shipped = shipped_vectors()
    build = shipped.digest if shipped is not None and shipped.serves(encoder) else "-"
    return content_key(f"{encoder.version}|{PHRASE_VERSION}|{build}", "labels", labels)[:16]


def _progress(kind: str):
    def report(done: int, total: int) -> None:
        print(f"\rencoding {kind} labels: {done}/{total}", end="" if done < total else "\n",
              file=sys.stderr, flush=True)
    return report


def _vectors(cache_dir: Path | None, encoder: Encoder, kind: str, labels: Sequence[str]) -> np.ndarray:
    """The centred vectors of `labels`: from the cache, else shipped, else encoded now.

    The shipped vectors (`matching.shipped`) serve the default encoder: a fresh install
    encodes only the labels they lack (regional terms added since, a newer ESCO import).
    """
    path = cache_dir / f"vectors-{kind}-{_fingerprint(encoder, labels)}.npy" if cache_dir else None
    cached = _cached_vectors(path, (len(labels), encoder.dim)) if path is not None else None
    if cached is not None:
        return cached
    vectors = np.zeros((len(labels), encoder.dim), dtype=np.float32)
    found = np.zeros(len(labels), dtype=bool)
    shipped = shipped_vectors()
    if shipped is not None and shipped.serves(encoder):
        rows, found = shipped.lookup(labels)
        vectors[found] = rows
    missing = np.flatnonzero(~found)
    if len(missing):
        vectors[missing] = ConceptLinker.embed_labels(encoder, [labels[i] for i in missing],
                                                      progress=_progress(kind) if len(missing) > 2000 else None)
    if path is not None:   # workers starting together may each write it (matching.files)
        write_atomically(path, lambda fh: np.save(fh, vectors))
    return vectors


def _cached_vectors(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The vectors cached in `path` (memory-mapped), or None if there are none or the file is
    not whole (then they are made again and the file replaced)."""
    try:
        vectors = np.load(path, mmap_mode="r")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError) as exc:
        log.warning("label vector cache %s cannot be read (%s): making it again", path.name, type(exc).__name__)
        return None
    if vectors.shape != shape or vectors.dtype != np.float32:
        log.warning("label vector cache %s holds %s %s, not %s: making it again", path.name, vectors.shape,
                    vectors.dtype, shape)
        return None
    return vectors


def build_index(taxonomy: Taxonomy, encoder: Encoder | None, cache_dir: str | Path | None = None) -> TaxonomyIndex:
    """Index a taxonomy for linking.

    Args:
        taxonomy: the ESCO taxonomy.
        encoder: the encoder for the semantic view (None: characters only).
        cache_dir: where label vectors are kept between runs, keyed by the encoder and
            the labels. Labels the shipped vectors lack are encoded (about 150 a second
            on 2 cores), once.

    Returns:
        A `TaxonomyIndex`.
    """
    cache = Path(cache_dir) if cache_dir else None
    occ = ConceptLinker(taxonomy.occupations, None, job_titles=True)
    # Skills are linked by their characters only: matching already compares skill phrases
    # by meaning, and encoding ~100,000 skill labels would take a worker a quarter hour.
    # Across languages, ESCO's own labels in each language do the bridging (and Portuguese
    # spelled the Spanish way would turn English 'process' into 'proces': not for skills).
    skills = ConceptLinker(taxonomy.skills, None, portuguese=False)
    if encoder is not None:
        occ.encoder = encoder
        occ.vectors = np.asarray(_vectors(cache, encoder, "occupations", occ.labels))
        occ.lexical_weight = OCCUPATION_LEXICAL_WEIGHT
    # What annotations depend on: every label, the relations, the encoder, and the
    # linking rules (bump ANNOTATION_VERSION when they change).
    relations = [f"{o}:{s}" for rel in (taxonomy.essential, taxonomy.optional) for o, ss in sorted(rel.items())
                 for s in ss]
    # The labels' weights too: a regional term that is already one of its concept's labels
    # changes only its weight.
    weights = [occ.weight.tobytes().hex(), skills.weight.tobytes().hex()]
    fingerprint = content_key(f"{ANNOTATION_VERSION}|{encoder.version if encoder else '-'}", "taxonomy",
                              [*occ.labels, "\x01", *skills.labels, "\x01", *relations, "\x01", *weights])[:16]
    return TaxonomyIndex(taxonomy, occ, skills, fingerprint=fingerprint)
