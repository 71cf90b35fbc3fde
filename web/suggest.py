"""Suggestions as people type a job title or a skill: ESCO labels in their language
(served at GET /api/v1/suggest, web/api/suggest.py).

Only labels are read (the taxonomy the workers use: an imported one, else the shipped one),
never a model: the web stays thin. Pages use it through static/puente.js to fill a
<datalist>; without JavaScript the fields are plain text boxes.
"""
from __future__ import annotations

import bisect
import threading

from matching.documents import normalise_phrase
from matching.esco import current_taxonomy
from matching.taxonomy import fallback_languages

from .extensions import settings

__all__ = ["MAX_RESULTS", "LabelIndex", "label_index"]

MAX_RESULTS = 10


class LabelIndex:
    """Labels by language, searchable by the start of any word (accents and case ignored)."""

    def __init__(self, taxonomy):
        self.keys: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for kind, concepts in (("occupation", taxonomy.occupations), ("skill", taxonomy.skills)):
            by_lang: dict[str, set[str]] = {}
            for c in concepts:
                for lang, labels in c.labels.items():
                    # ESCO's first labels, and the region's words for it ("garçom", "mesonero")
                    by_lang.setdefault(lang, set()).update([*labels[:4], *(x for x in labels if x in c.terms)])
            for lang, labels in by_lang.items():
                entries = []
                for label in labels:
                    words = normalise_phrase(label).split()
                    for i in range(len(words)):
                        entries.append((" ".join(words[i:]), label))
                entries.sort()
                self.keys[(kind, lang)] = entries

    def search(self, query: str, kind: str, lang: str, limit: int = MAX_RESULTS) -> list[str]:
        q = normalise_phrase(query)
        if len(q) < 2:
            return []
        found: list[str] = []
        for language in fallback_languages(lang):   # as `Concept.label` does
            entries = self.keys.get((kind, language)) or []
            start = bisect.bisect_left(entries, (q, ""))
            for key, label in entries[start:start + 500]:
                if not key.startswith(q):
                    break
                if label.casefold() not in {f.casefold() for f in found}:
                    found.append(label)
            if found:
                break
        found.sort(key=lambda label: (not normalise_phrase(label).startswith(q), len(label)))
        return found[:limit]


_lock = threading.Lock()
_indexes: dict[str, LabelIndex] = {}


def label_index() -> LabelIndex:
    """The labels of the app's taxonomy, read once per process and folder."""
    folder = str(settings().esco_dir)
    with _lock:
        if folder not in _indexes:
            _indexes[folder] = LabelIndex(current_taxonomy(folder))
        return _indexes[folder]
