"""Candidate selection for the jobs: a warm vector index per side, kept in step with the
database row by row, and searched by country partition.

Each worker process holds one index of open vacancies and one of profiles (built on first
use, then updated incrementally). Before a search, `sync` reads the cheap columns of every
row (id, country, flags, embedding key) and loads the vectors only of rows whose key
changed: workers on any machine agree on the index's content through the database, with
no shared state of their own and no full rebuild per job.

A job then scores in full only the `candidates` nearest rows within reach (with the rows
not embedded yet); below that many rows within reach, every row is scored, as before.

The search is symmetric: a job also scores the rows of the other side for which its row is
as near as the farthest candidate their own last job scored (their `reach_floor`, read with
the cheap columns), whether or not they are among its own nearest. So a pair is scored when
either row is among the other's nearest, whichever came first: a new vacancy enters the
ranking of a person it is near enough to, even if that person is not among its own nearest.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.retrieval import VectorIndex
from models import Vacancy

__all__ = ["REMOTE", "SideIndex", "beyond_reach"]

REMOTE = "*remote"   # the partition of remote vacancies, within everyone's reach


class SideIndex:
    """The index of one side (vacancies or profiles) and the embedding keys it holds."""

    def __init__(self, model, dim: int, ann_threshold: int):
        self.model = model
        self.index = VectorIndex(dim, ann_threshold=ann_threshold)
        self.keys: dict[int, str] = {}
        self.floors: dict[int, float] = {}   # reach floors of rows ranked since they last changed
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
        self.floors = {i: row.reach_floor for i, row in live.items() if row.reach_floor is not None}
        for start in range(0, len(changed), 1000):
            self._load_vectors(s, changed[start:start + 1000], live)
        return {"added_or_changed": len(changed), "removed": len(gone), "size": len(self.index)}

    def _live(self, s: Session) -> dict:
        """The cheap columns of every row that belongs in the index (open vacancies, every
        profile), by id."""
        m = self.model
        if m is Vacancy:
            stmt = select(m.id, m.country, m.embedding_key, m.reach_floor, m.remote).where(m.status == "open")
        else:
            stmt = select(m.id, m.country, m.embedding_key, m.reach_floor)
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

    def nearest(self, vector: np.ndarray, k: int, partitions: list[str] | None) -> tuple[list[int], float]:
        """The `k` nearest rows in `partitions` (None: all), and the cosine of the farthest of them."""
        ids, scores = self.index.search(vector, k, partitions)
        return ids.tolist(), float(scores[-1]) if len(scores) else -1.0

    def reaching(self, vector: np.ndarray) -> tuple[list[int], list[int]]:
        """The rows whose own last job would have scored `vector`: those for which it is at
        least as near as their reach floor. Exact cosines against every row (one matrix
        product per partition), whatever the index uses for `nearest`.

        Returns:
            Those ranked among their nearest (a real floor), and those whose job scored every
            row in their reach (floor -1: their reach was small then), nearest first.
        """
        near, unbounded = [], []
        if not self.floors:
            return [], []
        query = np.asarray(vector, dtype=np.float32)
        for part in self.index.partitions.values():
            rows = np.flatnonzero(part.alive[: part.used])
            if not len(rows):
                continue
            ids = part.ids[rows]
            floors = np.fromiter((self.floors.get(int(i), np.inf) for i in ids), dtype=np.float64, count=len(ids))
            cosines = part.vectors[rows] @ query
            near += ids[(cosines >= floors) & (floors > -1)].tolist()
            every = floors <= -1
            unbounded += list(zip((-cosines[every]).tolist(), ids[every].tolist(), strict=True))
        return near, [i for _, i in sorted(unbounded)]


def beyond_reach(s: Session, model, ids, vector: np.ndarray, dim: int) -> list[int]:
    """Those of `ids` (rows of `model`) whose own nearest, as their reach floor says now,
    do not hold `vector`: the cosine is below the floor. A row with no floor yet (never
    ranked since it changed) or floor -1 (it scored every row in its reach), or with no
    embedding, is not among them. Read in the caller's transaction, under its locks."""
    ids = list(ids)
    if not ids:
        return []
    query = np.asarray(vector, dtype=np.float32)
    rows = s.execute(select(model.id, model.embedding, model.reach_floor).where(
        model.id.in_(ids), model.reach_floor.is_not(None), model.reach_floor > -1, model.embedding.is_not(None)))
    return sorted(row.id for row in rows
                  if float(np.frombuffer(row.embedding, dtype=np.float32, count=dim) @ query) < row.reach_floor)
