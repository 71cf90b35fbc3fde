"""Re-rank the occupation linker's first candidates with a model learnt from real titles.

The linker's views (characters, the encoder) find the candidates; which of them is the
occupation a title names is decided by a logistic model over a few features of each
candidate: both views' scores and how far each is from the best, how much of the title's
words the occupation's labels hold (by rarity), whether the head word agrees ('MÉDICOS
ESPECIALISTAS EN X' names a doctor, not a technician in X), and how much of a label the
title spells out. The model's output is the probability that the candidate is right,
which is also the link's confidence.

The model is data (`data/title_ranker.json`), fitted by `python -m scripts.train_linker`
on the development half of the real-title files only (`scripts/real_titles.py`).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .titles import singular

__all__ = ["FEATURES", "MODEL_FILE", "ConceptWords", "RankerModel", "candidate_features", "query_words"]

MODEL_FILE = Path(__file__).resolve().parent / "data" / "title_ranker.json"
FEATURES = ("semantic", "characters", "semantic_gap", "characters_gap", "title_words_held",
            "title_stems_held", "head_first", "head_last", "label_spelled_out", "first_rank")
# Words that join others (Spanish, Portuguese, English): they say nothing of an occupation.
STOP = frozenset({
    "de", "del", "la", "las", "el", "los", "y", "e", "en", "para", "por", "con", "a", "al", "un", "una",
    "da", "do", "das", "dos", "em", "com", "o", "as", "os", "no", "na", "nas", "nos", "um", "uma", "ou",
    "of", "the", "and", "for", "in", "to", "on", "at", "or"})
STEM = 5  # letters compared for 'the same word' ('contable', 'contabilidad'; 'nefrologia', 'nefrologo')


def _content(folded: str) -> list[str]:
    return [w for w in singular(folded).split() if w not in STOP]


def query_words(readings: Sequence[str]) -> list[list[str]]:
    """The content words of each reading of a title (folded, in the singular).

    Args:
        readings: the folded readings of one title (as written, in ESCO's regional words,
            Portuguese spelled the Spanish way), duplicates allowed.

    Returns:
        One word list per distinct reading.
    """
    return [_content(r) for r in dict.fromkeys(readings)]


class ConceptWords:
    """The words of every concept's labels, for the word features."""

    def __init__(self, texts: Sequence[str], owner: np.ndarray, n_concepts: int, languages: Sequence[str]):
        self.labels: list[list[list[str]]] = [[] for _ in range(n_concepts)]
        # Head words: a Spanish or Portuguese name puts its head first ('médico especialista'),
        # an English one last ('specialist doctor').
        self.heads_first: list[set[str]] = [set() for _ in range(n_concepts)]
        self.heads_last: list[set[str]] = [set() for _ in range(n_concepts)]
        for text, o, lang in zip(texts, owner, languages, strict=True):
            self._add(text, int(o), lang)
        self.words = [{w for lab in labs for w in lab} for labs in self.labels]
        self.stems = [{w[:STEM] for w in ws} for ws in self.words]
        df: dict[str, int] = {}
        for ws in self.words:
            for w in ws:
                df[w] = df.get(w, 0) + 1
        self._idf = {w: math.log((1 + n_concepts) / (1 + d)) + 1.0 for w, d in df.items()}
        self._unseen = math.log(1 + n_concepts) + 1.0

    def _add(self, text: str, concept: int, lang: str) -> None:
        words = _content(text)
        if not words:
            return
        self.labels[concept].append(words)
        if lang == "en":
            self.heads_last[concept].add(words[-1][:STEM])
        else:
            self.heads_first[concept].add(words[0][:STEM])

    def idf(self, word: str) -> float:
        """How rare a word is among the concepts (a word no label has counts as rarest)."""
        return self._idf.get(word, self._unseen)

    def features(self, words: list[str], c: int) -> tuple[float, float, float, float, float]:
        """(title words held, title stems held, head first, head last, label spelled out)."""
        if not words or not self.labels[c]:
            return 0.0, 0.0, 0.0, 0.0, 0.0
        weights = [self.idf(w) for w in words]
        total = sum(weights)
        held = sum(x for w, x in zip(words, weights, strict=True) if w in self.words[c]) / total
        stems = sum(x for w, x in zip(words, weights, strict=True) if w[:STEM] in self.stems[c]) / total
        head_first = float(words[0][:STEM] in self.heads_first[c])
        head_last = float(words[-1][:STEM] in self.heads_last[c])
        title_stems = {w[:STEM] for w in words}
        spelled = max(sum(self.idf(w) for w in lab if w[:STEM] in title_stems) / sum(self.idf(w) for w in lab)
                      for lab in self.labels[c])
        return held, stems, head_first, head_last, spelled


def candidate_features(words: ConceptWords, readings: list[list[str]], semantic: np.ndarray,
                       characters: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The features (`FEATURES`) of one title's candidates.

    Args:
        words: the concepts' words.
        readings: the title's content words per reading (`query_words`).
        semantic: the encoder's score of every concept for this title (best label).
        characters: the character view's score of every concept (best label).
        candidates: the concepts to describe, in the linker's order.

    Returns:
        (len(candidates), len(FEATURES)) float32.
    """
    top_sem, top_chr = float(semantic.max()), float(characters.max())
    out = np.zeros((len(candidates), len(FEATURES)), dtype=np.float32)
    for k, c in enumerate(candidates):
        best = max((words.features(r, int(c)) for r in readings), key=lambda f: f[0] + f[1], default=(0.0,) * 5)
        out[k] = (semantic[c], characters[c], semantic[c] - top_sem, characters[c] - top_chr, *best,
                  1.0 / (k + 1))
    return out


@dataclass(frozen=True)
class RankerModel:
    """A logistic model over `FEATURES`, and how many candidates it re-ranks."""

    coef: np.ndarray
    intercept: float
    candidates: int
    lexical_weight: float   # the character view's share when choosing the candidates
    about: str = ""

    def probability(self, features: np.ndarray) -> np.ndarray:
        """The probability that each candidate is right."""
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> RankerModel | None:
        """Read a model; None if the file is missing or was fitted on other features."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        if tuple(data.get("features", ())) != FEATURES:
            return None
        return cls(np.asarray(data["coef"], dtype=np.float32), float(data["intercept"]), int(data["candidates"]),
                   float(data["lexical_weight"]), str(data.get("about", "")))

    def save(self, path: Path = MODEL_FILE) -> None:
        """Write the model as JSON."""
        path.write_text(json.dumps({
            "features": list(FEATURES), "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6), "candidates": self.candidates,
            "lexical_weight": self.lexical_weight, "about": self.about}, indent=1) + "\n", encoding="utf-8")
