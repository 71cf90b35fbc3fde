"""Candidate selection for the jobs: a warm vector index per side, kept in step with the
database row by row, and searched by country partition.

Each worker process holds one index of open vacancies and one of profiles (built on first
use, then updated incrementally). Before a search, `sync` reads the cheap columns of every
row (id, country, flags, embedding key) and loads the vectors only of rows whose key
changed: workers on any machine agree on the index's content through the database, with
no shared state of their own and no full rebuild per job.

A job then scores in full only the `candidates` nearest rows within reach (with the rows
not embedded yet); below that many rows within reach, every row is scored, as before.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.retrieval import VectorIndex
from models import Vacancy

__all__ = ["REMOTE", "SideIndex"]

REMOTE = "*remote"   # the partition of remote vacancies, within everyone's reach


class SideIndex:
    """The index of one side (vacancies or profiles) and the embedding keys it holds."""

    def __init__(self, model, dim: int, ann_threshold: int):
        self.model = model
        self.index = VectorIndex(dim, ann_threshold=ann_threshold)
        self.keys: dict[int, str] = {}
        self.dim = dim

    def _partition(self, row) -> str:
        if self.model is Vacancy and row.remote:
            return REMOTE
        return row.country

    def sync(self, s: Session) -> dict:
        """Bring the index in step with the database; return what changed."""
        live = self._live(s)
        changed = [i for i, row in live.items()
                   if row.embedding_key is not None and self.keys.get(i) != row.embedding_key]
        gone = [i for i in self.keys if i not in live or live[i].embedding_key is None]
        self.index.remove(gone)
        for i in gone:
            self.keys.pop(i, None)
        for start in range(0, len(changed), 1000):
            self._load_vectors(s, changed[start:start + 1000], live)
        return {"added_or_changed": len(changed), "removed": len(gone), "size": len(self.index)}

    def _live(self, s: Session) -> dict:
        """The cheap columns of every row that belongs in the index (open vacancies, every
        profile), by id."""
        m = self.model
        if m is Vacancy:
            stmt = select(m.id, m.country, m.embedding_key, m.remote).where(m.status == "open")
        else:
            stmt = select(m.id, m.country, m.embedding_key)
        return {row.id: row for row in s.execute(stmt)}

    def _load_vectors(self, s: Session, ids: list[int], live: dict) -> None:
        m = self.model
        rows = [r for r in s.execute(select(m.id, m.embedding, m.embedding_key).where(m.id.in_(ids)))
                if r.embedding is not None]
        if not rows:
            return
        vectors = np.stack([np.frombuffer(r.embedding, dtype=np.float32, count=self.dim) for r in rows])
        self.index.upsert([r.id for r in rows], [self._partition(live[r.id]) for r in rows], vectors)
        self.keys.update({r.id: r.embedding_key for r in rows})

    def nearest(self, vector: np.ndarray, k: int, partitions: list[str] | None) -> list[int]:
        ids, _ = self.index.search(vector, k, partitions)
        return ids.tolist()
