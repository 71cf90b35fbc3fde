"""Link free text to ESCO concepts: job titles to occupations, skill phrases to skills.

A hybrid of two views of every label of every concept, in every language imported:
character n-grams (TF-IDF), which see through typos, gender forms and the close
spelling of Spanish and Portuguese, and the encoder's vectors, which see synonyms and
cross languages. A concept's score is its best label's.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoders import Encoder, centre_phrases
from .regional import word_rewrites
from .taxonomy import Concept
from .title_ranker import ConceptWords, RankerModel, candidate_features, query_words
from .titles import clean_title, singular

__all__ = ["ConceptLinker", "Link", "label_variants", "normalise_title", "phrase_case", "portuguese_variant", "regional_variant"]

# A query is a job title or a skill phrase: matching keeps no more of a phrase
# (`documents.MAX_PHRASE_CHARS`), and a longer text must not cost more to link.
MAX_QUERY_CHARS = 200

# Many occupations share an alternative label ('cocinera' is one for a dozen kinds of
# cook); the one whose preferred label it is should win.
ALT_LABEL_WEIGHT = 0.995
# A title read in another spelling ("mesera" as "camarera") is a guess about what was meant:
# it counts for a little less than the words as written, so an exact label of what the
# person wrote wins a tie (a bartender is also a "camarera" in ESCO, a "mesera" is a waiter).
RESPELLED_SHARE = 0.99

# National and common abbreviations in job titles (after accents are removed).
_ABBREVIATIONS = {
    "tsu": "tecnico superior universitario", "t.s.u.": "tecnico superior universitario",
    "lic": "licenciado", "lic.": "licenciado", "ing": "ingeniero", "ing.": "ingeniero",
    "aux": "auxiliar", "aux.": "auxiliar", "asist": "asistente", "asist.": "asistente",
    "tec": "tecnico", "tec.": "tecnico", "adm": "administracion",
    "adm.": "administracion", "prof": "profesor", "prof.": "profesor", "dr": "doctor", "dr.": "doctor",
    "enf": "enfermero", "enf.": "enfermero", "op": "operador", "op.": "operador",
}
# Gender endings written together: enfermero/a, enfermero(a), cocinero/as, operador(a), doctor/ra.
_GENDER = re.compile(r"(\w)\s*(?:/|\()\s*(?:a|as|ra|ras|os|o)\s*\)?(?=\s|$|,)")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def normalise_title(text: str) -> str:
    """Fold case and accents, drop gender endings, expand abbreviations, keep words.

    'Enfermero/a  (UCI)' -> 'enfermero uci'; 'TSU en administración' ->
    'tecnico superior universitario en administracion'.

    Args:
        text: a job title or a label (None or empty: '').

    Returns:
        The words, folded, separated by single spaces.
    """
    text = _GENDER.sub(r"\1", _fold(text or ""))
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    text = " ".join(words)
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# Portuguese written the Spanish way, for the character view: with Spanish (and English)
# ESCO labels only, 'cozinheiro' should still be near 'cocinero' and 'técnico em
# enfermagem' near 'técnico en enfermería'. Applied to accent-folded text; the patterns
# barely occur in Spanish, so a Spanish title comes out the same.
_PT_TO_ES = [(re.compile(p), r) for p, r in (
    (r"coes\b", "ciones"), (r"cao\b", "cion"), (r"soes\b", "siones"), (r"sao\b", "sion"),
    (r"eiros\b", "eros"), (r"eiras\b", "eras"), (r"eiro\b", "ero"), (r"eira\b", "era"),
    (r"nh", "n"), (r"lh", "j"), (r"ss", "s"), (r"zi", "ci"), (r"ze", "ce"), (r"agem\b", "aje"),
    (r"m\b", "n"), (r"ao\b", "on"), (r"\bem\b", "en"), (r"\bdo\b", "del"), (r"\bda\b", "de la"),
    (r"\bdos\b", "de los"), (r"\bdas\b", "de las"), (r"\bno\b", "en el"), (r"\bna\b", "en la"),
    (r"\be\b", "y"), (r"ou\b", "o"), (r"eletr", "electr"),
)]


def phrase_case(text: str) -> str:
    """Lower the case of capitalised words, for the encoder; keep short acronyms.

    The encoder is case-sensitive: "Soldador" was nearer ESCO's Portuguese "Soldado"
    (capitalised, like every Portuguese label) than its Spanish "soldador". Labels and
    titles are read in one case: 'Soldador' -> 'soldador', 'ICU Nurse' -> 'ICU nurse',
    'MÉDICOS ESPECIALISTAS' -> 'médicos especialistas', 'TSU' stays.

    Args:
        text: a label or a title.

    Returns:
        The text with its words separated by single spaces.
    """
    words = []
    for word in text.split():
        letters = [c for c in word if c.isalpha()]
        if letters and letters[0].isupper() and not (word.isupper() and len(letters) <= 4):
            word = word.lower()
        words.append(word)
    return " ".join(words)


def regional_variant(normalised: str) -> str:
    """Say a Latin American or Brazilian title with ESCO's words ('contador' -> 'contable').

    The words are data: `matching/data/regional_terms.toml` (see `matching.regional`).

    Args:
        normalised: a title as `normalise_title` leaves it.

    Returns:
        The title in ESCO's words (the same text if it has no regional word).
    """
    return word_rewrites(normalised)


def portuguese_variant(normalised: str) -> str:
    """Spell a normalised Portuguese title the Spanish way ('cozinheiro' -> 'cocinero').

    Args:
        normalised: a title as `normalise_title` leaves it.

    Returns:
        The respelled title (a Spanish title comes out the same).
    """
    text = normalised
    for pattern, repl in _PT_TO_ES:
        text = pattern.sub(repl, text)
    return text


def label_variants(label: str) -> list[str]:
    """Split ESCO's joined gender forms into two labels.

    'director técnico/directora técnica' -> both; 'comprador/compradora de café verde'
    -> 'comprador de café verde' and 'compradora de café verde' (the shorter form takes
    the longer one's tail). Anything else with a slash ('researcher/fact checker') stays
    whole: only forms of one word ('comprador', 'compradora') are split.

    Args:
        label: an ESCO label.

    Returns:
        The two forms, or `[label]`.
    """
    if "/" not in label or _GENDER.search(_fold(label)):
        return [label]
    parts = [p.strip() for p in label.split("/")]
    if len(parts) != 2 or not all(parts):
        return [label]
    a, b = parts[0].split(), parts[1].split()
    if _fold(a[0])[:4] != _fold(b[0])[:4]:
        return [label]
    if len(a) < len(b):
        a = a + b[len(a):]
    elif len(b) < len(a):
        b = b + a[len(b):]
    return [" ".join(a), " ".join(b)]


def _label_weight(norm: str, rank: int, terms: set[str], claimed: set[str]) -> float:
    """A regional term, or a preferred label no regional term claims, counts fully; any
    other label by `ALT_LABEL_WEIGHT`."""
    return 1.0 if norm in terms or (rank == 0 and norm not in claimed) else ALT_LABEL_WEIGHT


def _concept_labels(concept: Concept, claimed: set[str],
                    per_language: int | None) -> dict[str, tuple[str, float, str]]:
    """The labels of one concept to index: normalised text -> (the label as the encoder
    reads it, its weight, its language), each text once, with the best weight of its labels."""
    out: dict[str, tuple[str, float, str]] = {}
    terms = {normalise_title(t) for t in concept.terms}
    for lang, lang_labels in concept.labels.items():
        for rank, label in enumerate(lang_labels[:per_language]):
            for variant in label_variants(label):
                norm = normalise_title(variant)
                if not norm:
                    continue
                weight = _label_weight(norm, rank, terms, claimed)
                if norm in out:
                    out[norm] = (out[norm][0], max(out[norm][1], weight), out[norm][2])
                else:
                    out[norm] = (phrase_case(variant), weight, lang)
    return out


def _index_labels(concepts: Sequence[Concept], claimed: set[str], per_language: int | None):
    """Every label to index, as parallel lists: normalised texts, owners, labels as the
    encoder reads them, weights, languages."""
    texts, owners, raw, weights, languages = [], [], [], [], []
    for i, concept in enumerate(concepts):
        for norm, (label, weight, lang) in _concept_labels(concept, claimed, per_language).items():
            texts.append(norm)
            raw.append(label)
            owners.append(i)
            weights.append(weight)
            languages.append(lang)
    return texts, owners, raw, weights, languages


def _respelled(normalised: list[str], spell) -> tuple[list[int], list[str]]:
    """The positions of the texts `spell` changes, and their new spelling."""
    variants = [spell(t) for t in normalised]
    changed = [i for i, (a, b) in enumerate(zip(normalised, variants, strict=True)) if a != b]
    return changed, [variants[i] for i in changed]


@dataclass(frozen=True)
class Link:
    """A concept linked to a text, with the score of the link in [0, 1]."""

    index: int
    score: float


class ConceptLinker:
    """Rank concepts for texts by their best-matching label.

    Args:
        concepts: the occupations or skills.
        encoder: the encoder for the semantic view; None for characters only.
        vectors: the encoder's vectors of `self.labels` (see `embed_labels`), if cached.
        lexical_weight: the share of the character view in the fused score.
        labels_per_language: how many labels of each concept and language to index
            (None: all).
        portuguese: also read each query with ESCO's Spanish words (`regional_variant`)
            and Portuguese spelled the Spanish way (`portuguese_variant`); for job titles.
        job_titles: read queries as job titles: without job-board noise (`clean_title`),
            and, for characters, labels and queries in the singular (`singular`).
    """

    def __init__(self, concepts: Sequence[Concept], encoder: Encoder | None = None,
                 vectors: np.ndarray | None = None, lexical_weight: float = 0.5,
                 labels_per_language: int | None = None, portuguese: bool = True, job_titles: bool = False):
        from sklearn.feature_extraction.text import TfidfVectorizer

        # A regional term claims its words: where Brazil's "vigilante" is a security guard,
        # ESCO's Portuguese "Vigilante" (a house sitter) is held as an alternative label.
        claimed = {normalise_title(t) for c in concepts for t in c.terms}
        texts, owners, raw, weights, languages = _index_labels(concepts, claimed, labels_per_language)
        self.concepts = list(concepts)
        self.labels = raw                       # as written (in one case: `phrase_case`), for the encoder
        self.texts = texts                      # normalised, for characters
        self.languages = languages              # each label's language
        self.owner = np.asarray(owners, dtype=np.int64)
        self.weight = np.asarray(weights, dtype=np.float32)
        if not texts:  # nothing to link to (e.g. a taxonomy without skills)
            texts = ["~"]  # a vectorizer needs one document; its weight is 0
            self.owner, self.weight = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.float32)
            self.labels, self.texts, self.languages = [""], [""], [""]
        self._starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        self._present = self.owner[self._starts]
        self.lexical_weight = lexical_weight if encoder is not None else 1.0
        self.job_titles = job_titles
        # Two-word phrases of the labels: a noise word inside one is part of a name ('remote sensing').
        self.phrases = {" ".join(pair) for t in texts for pair in zip(t.split(), t.split()[1:])} if job_titles else set()
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                          dtype=np.float32, min_df=1, token_pattern=None)
        # The labels' n-grams as (n-grams x labels), row-major, made once: the product with a
        # query's n-grams reads only the rows of the n-grams it has, instead of converting the
        # whole (labels x n-grams) matrix on every call (most of a profile's linking time).
        self._by_gram = self.vectorizer.fit_transform([self._char_text(t) for t in texts]).T.tocsr()
        self.encoder = encoder
        self.portuguese = portuguese
        # Job titles: the linker's first candidates re-ranked by a model learnt from real
        # titles (`matching.title_ranker`), when the encoder's view is there.
        self.ranker: RankerModel | None = RankerModel.load() if job_titles else None
        self._words: ConceptWords | None = None
        if encoder is not None and vectors is None:
            vectors = self.embed_labels(encoder, self.labels)
        if vectors is not None and len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} cached vectors for {len(texts)} labels; rebuild the cache")
        self.vectors = vectors

    @staticmethod
    def embed_labels(encoder: Encoder, labels: Sequence[str], batch: int = 512, progress=None) -> np.ndarray:
        """Encode labels as centred phrase vectors, in batches.

        Args:
            encoder: the encoder.
            labels: the labels as the linker keeps them (`ConceptLinker.labels`).
            batch: labels per call to the encoder.
            progress: called with (done, total) after each batch, if given.

        Returns:
            (n_labels, dim) float32 vectors.
        """
        out = np.zeros((len(labels), encoder.dim), dtype=np.float32)
        for start in range(0, len(labels), batch):
            chunk = list(labels[start:start + batch])
            out[start:start + len(chunk)] = centre_phrases(encoder.encode(chunk, role="query"), encoder.phrase_centre)
            if progress:
                progress(min(start + batch, len(labels)), len(labels))
        return out

    def _per_concept(self, label_scores: np.ndarray) -> np.ndarray:
        best = np.full((label_scores.shape[0], len(self.concepts)), 0.0, dtype=np.float32)
        if self.concepts:
            best[:, self._present] = np.maximum.reduceat(label_scores, self._starts, axis=1)
        return best

    def label_scores(self, queries: Sequence[str], query_vectors: np.ndarray | None = None) -> np.ndarray:
        """Return the fused score of every (query, label) pair.

        Args:
            queries: the texts (each cut to `MAX_QUERY_CHARS`).
            query_vectors: the centred phrase vectors of the texts as read (`read`), if
                already computed.

        Returns:
            (n_queries, n_labels) scores: the character view and the encoder's, shared by
            `lexical_weight`, times each label's weight.
        """
        read = self.read(queries)
        lexical, semantic = self._views(read, [normalise_title(t) for t in read], query_vectors)
        return self._fuse(lexical, semantic, self.lexical_weight)

    def _fuse(self, lexical: np.ndarray, semantic: np.ndarray | None, lexical_weight: float) -> np.ndarray:
        if semantic is None:
            return lexical
        return lexical * lexical_weight + semantic * (1.0 - lexical_weight)

    def _views(self, read: list[str], normalised: list[str],
               query_vectors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Per (query, label): the character view and the encoder's (clipped to [0, 1]; None
        without an encoder), each times the label's weight."""
        lexical = self._lexical(normalised) * self.weight
        if self.vectors is None or self.lexical_weight >= 1.0:
            return lexical, None
        semantic = np.clip(self._semantic(read, normalised, query_vectors), 0.0, 1.0) * self.weight
        return lexical, semantic

    def read(self, queries: Sequence[str]) -> list[str]:
        """The queries as the linker reads them: cut to `MAX_QUERY_CHARS`, and for job
        titles without their noise (`clean_title`).

        Args:
            queries: the texts.

        Returns:
            The texts read.
        """
        queries = [t[:MAX_QUERY_CHARS] for t in queries]
        if self.job_titles:
            queries = [clean_title(t, self.phrases) for t in queries]
        return queries

    def _char_text(self, normalised: str) -> str:
        return singular(normalised) if self.job_titles else normalised

    def _characters(self, normalised: list[str]) -> np.ndarray:
        """(queries x labels) character-view cosines, each query's row added up from the rows
        of the n-grams it has, straight into a dense row: the same sums in the same order as
        the sparse product, without building the (nearly dense) sparse result first (a third
        of the time for 40 skills)."""
        grams = self.vectorizer.transform([self._char_text(t) for t in normalised])
        out = np.zeros((len(normalised), self._by_gram.shape[1]), dtype=np.float32)
        for i in range(len(normalised)):
            a, b = grams.indptr[i], grams.indptr[i + 1]
            if a < b:
                out[i] = self._by_gram[grams.indices[a:b]].T @ grams.data[a:b]
        return out

    def _lexical(self, normalised: list[str]) -> np.ndarray:
        """The character view: the best of the ways of reading each title."""
        lexical = self._characters(normalised)
        spellings = (regional_variant, portuguese_variant) if self.portuguese else ()
        for spell in spellings:
            changed, variants = _respelled(normalised, spell)
            if changed:
                lexical[changed] = np.maximum(lexical[changed], self._characters(variants) * RESPELLED_SHARE)
        return lexical

    def _semantic(self, queries: list[str], normalised: list[str], query_vectors: np.ndarray | None) -> np.ndarray:
        """The encoder's view (cosines of centred phrase vectors)."""
        # 'contador' means 'contable' here, not a meter: the encoder reads the regional
        # wording in ESCO's words too.
        changed, regional = self._regional(normalised)
        if query_vectors is None:
            query_vectors = self._encode([*queries, *regional])   # both readings in one call
            query_vectors, alt_vectors = query_vectors[:len(queries)], query_vectors[len(queries):]
        elif changed:
            alt_vectors = self._encode(regional)
        semantic = query_vectors @ self.vectors.T
        if changed:
            semantic[changed] = np.maximum(semantic[changed], alt_vectors @ self.vectors.T)
        return semantic

    @property
    def encodes(self) -> bool:
        """Whether linking a query encodes it (the encoder's view is part of the score)."""
        return self.encoder is not None and self.vectors is not None and self.lexical_weight < 1.0

    def encoded_texts(self, query: str) -> list[str]:
        """What the encoder's view encodes for one query (as `_semantic` does): the query as
        read, and its regional wording when that differs; nothing without that view.

        Args:
            query: a text.

        Returns:
            The texts, as the encoder is given them.
        """
        if not self.encodes:
            return []
        read = self.read([query])[0]
        return [phrase_case(t) for t in (read, *self._regional([normalise_title(read)])[1])]

    def _regional(self, normalised: list[str]) -> tuple[list[int], list[str]]:
        """The queries the encoder also reads in ESCO's words (`regional_variant`), and those
        words: where a query has a regional word, and the linker reads Portuguese and Latin
        American wording."""
        return _respelled(normalised, regional_variant) if self.portuguese else ([], [])

    def _encode(self, texts: list[str]) -> np.ndarray:
        texts = [phrase_case(t) for t in texts]
        return centre_phrases(self.encoder.encode(texts, role="query"), self.encoder.phrase_centre)

    def scores(self, queries: Sequence[str], query_vectors: np.ndarray | None = None,
               exclude: Sequence[set[int]] | None = None, batch: int = 256) -> np.ndarray:
        """Return the score of every (query, concept) pair, (n_queries, n_concepts).

        Args:
            queries: the texts.
            query_vectors: the centred phrase vectors of the texts as read (`read`), if
                already computed.
            exclude: per query, label indexes to leave out (evaluation uses it so that
                no query text is in the index).
            batch: queries per block, to bound memory.

        Returns:
            (n_queries, n_concepts) scores. Without a ranker: each concept's best label's
            fused score. With one (`ranker`): the ranker's candidates score the probability
            that they are right, in [0, 1]; every other concept scores below -0.5.
        """
        out = np.zeros((len(queries), len(self.concepts)), dtype=np.float32)
        for start in range(0, len(queries), batch):
            stop = start + batch
            qv = None if query_vectors is None else query_vectors[start:stop]
            read = self.read(queries[start:stop])
            normalised = [normalise_title(t) for t in read]
            lexical, semantic = self._views(read, normalised, qv)
            if exclude is not None:
                for row, labels in enumerate(exclude[start:stop]):
                    lexical[row, list(labels)] = 0.0
                    if semantic is not None:
                        semantic[row, list(labels)] = 0.0
            if self.ranker is not None and semantic is not None:
                out[start:stop] = self._ranked(normalised, self._per_concept(lexical), self._per_concept(semantic))
            else:
                out[start:stop] = self._per_concept(self._fuse(lexical, semantic, self.lexical_weight))
        return out

    def _readings(self, normalised: str) -> list[str]:
        if not self.portuguese:
            return [normalised]
        return [normalised, regional_variant(normalised), portuguese_variant(normalised)]

    def _ranked(self, normalised: list[str], lexical: np.ndarray, semantic: np.ndarray) -> np.ndarray:
        """Concept scores of a block: the ranker's probability for its candidates (the first by
        the views' blend), every other concept below them."""
        model = self.ranker
        out = (lexical * model.lexical_weight + semantic * (1.0 - model.lexical_weight)) * 0.5 - 1.0
        for row, (cands, features) in enumerate(self.candidates(normalised, lexical, semantic, model.lexical_weight,
                                                                model.candidates)):
            out[row, cands] = model.probability(features)
        return out

    def candidates(self, normalised: list[str], lexical: np.ndarray, semantic: np.ndarray, lexical_weight: float,
                   n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The first `n` concepts of each query by the blend of the two views, and their
        ranking features (`matching.title_ranker.FEATURES`).

        Args:
            normalised: the queries as read and normalised.
            lexical, semantic: per (query, concept) scores of each view (best label).
            lexical_weight: the character view's share in the blend.
            n: candidates per query.

        Returns:
            Per query: (candidate concepts, best first; their features).
        """
        if self._words is None:
            self._words = ConceptWords(self.texts, self.owner, len(self.concepts), self.languages)
        blend = lexical * lexical_weight + semantic * (1.0 - lexical_weight)
        n = min(n, blend.shape[1])
        out = []
        for row in range(blend.shape[0]):
            cands = np.argpartition(-blend[row], n - 1)[:n]
            cands = cands[np.argsort(-blend[row, cands], kind="stable")]
            out.append((cands, candidate_features(self._words, query_words(self._readings(normalised[row])),
                                                  semantic[row], lexical[row], cands)))
        return out

    def views(self, queries: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray | None]:
        """The queries as read and normalised, and each view's score of every concept.

        Args:
            queries: the texts.

        Returns:
            (normalised texts, (n, n_concepts) characters, (n, n_concepts) encoder or None).
        """
        read = self.read(queries)
        normalised = [normalise_title(t) for t in read]
        lexical, semantic = self._views(read, normalised, None)
        return normalised, self._per_concept(lexical), None if semantic is None else self._per_concept(semantic)

    def link(self, queries: Sequence[str], top_k: int = 5) -> list[list[Link]]:
        """Return, for each text, its `top_k` concepts, best first.

        Args:
            queries: free texts (job titles, skill phrases) in any imported language.
            top_k: how many concepts per text.

        Returns:
            One list of `Link` per text; empty for an empty text.
        """
        if not queries:
            return []
        if not self.concepts:
            return [[] for _ in queries]
        scores = self.scores(list(queries))
        k = min(top_k, scores.shape[1])
        out = []
        for text, row in zip(self.read(queries), scores, strict=True):
            if not normalise_title(text):
                out.append([])
                continue
            idx = np.argpartition(-row, k - 1)[:k]
            idx = idx[np.argsort(-row[idx], kind="stable")]
            out.append([Link(int(i), round(float(row[i]), 4)) for i in idx])
        return out
