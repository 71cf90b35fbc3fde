"""Candidate selection for the jobs: a warm vector index per side, kept in step with the
database row by row, and searched by country partition.

Each worker process holds one index of open vacancies and one of profiles (built on first
use, then updated incrementally). Before a search, `sync` reads the cheap columns (id,
country, flags, embedding key) of the rows changed since its last sync (`changed_at`; all
rows at the first sync and every `FULL_SYNC_EVERY`) and loads the vectors only of rows
whose key changed: workers on any machine agree on the index's content through the
database, with no shared state of their own and no full rebuild per job.

A job then scores in full only the `candidates` nearest rows within reach (with the rows
not embedded yet); below that many rows within reach, every row is scored, as before.

The search is symmetric: a job also scores the rows of the other side for which its row is
as near as the farthest candidate their own last job scored (their `reach_floor`, read with
the cheap columns), whether or not they are among its own nearest. So a pair is scored when
either row is among the other's nearest, whichever came first: a new vacancy enters the
ranking of a person it is near enough to, even if that person is not among its own nearest.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.documents import person_reaches
from matching.retrieval import FLOOR_TOLERANCE, VectorIndex
from models import PROFILE, Vacancy, utcnow

__all__ = ["REMOTE", "DocCache", "SideIndex", "beyond_reach", "in_reach", "reach_partitions", "reaches"]

REMOTE = "*remote"   # the partition of remote vacancies, within everyone's reach
# A sync reads the rows changed since the last one began, less this: a change committed this
# long after the time it carries is still seen (the transactions that write what the index
# holds last milliseconds; this also covers clocks of worker machines this far apart).
SYNC_OVERLAP = timedelta(seconds=60)
# Every so often a sync reads every row: rows deleted outright leave the index then.
FULL_SYNC_EVERY = timedelta(minutes=10)


class SideIndex:
    """The index of one side (vacancies or profiles) and the embedding keys it holds."""

    def __init__(self, model, dim: int, ann_threshold: int):
        self.model = model
        self.index = VectorIndex(dim, ann_threshold=ann_threshold)
        self.keys: dict[int, str] = {}
        self.floors: dict[int, float] = {}   # reach floors of rows ranked since they last changed
        self.dim = dim
        self.synced_at: datetime | None = None   # when the last sync began
        self.full_at: datetime | None = None     # when the last full sync began

    def _partition(self, row) -> str:
        if self.model is Vacancy and row.remote:
            return REMOTE
        return row.country

    def sync(self, s: Session, now: datetime | None = None) -> dict:
        """Bring the index in step with the database; return what changed and how many rows
        were read (`read`).

        The first sync, and one every `FULL_SYNC_EVERY`, reads the cheap columns of every row;
        the others only the rows changed (`changed_at`) since the last sync began, less
        `SYNC_OVERLAP`, so that a change committed a little after its time is still seen. A
        row deleted outright leaves the index at the next full sync; until then a search may
        return its id, which then finds no row (and is skipped).
        """
        now = now or utcnow()
        if self.synced_at is None or now - self.full_at >= FULL_SYNC_EVERY:
            result = self._sync_all(s)
            self.full_at = now
        else:
            result = self._sync_changed(s, self.synced_at - SYNC_OVERLAP)
        self.synced_at = now
        return result

    def _sync_all(self, s: Session) -> dict:
        # Rows are read, and enter the index, in id order (here and below): after a full sync
        # the same data makes the same matrix, row for row, in every worker and every run,
        # whatever the table's physical order (a product's last bit can depend on a row's
        # place); rows that change later go to the end, as they come.
        stmt = self._columns()
        if self.model is Vacancy:
            stmt = stmt.where(Vacancy.status == "open")
        live = {row.id: row for row in s.execute(stmt.order_by(self.model.id))}
        gone = [i for i in self.keys if i not in live or live[i].embedding_key is None]
        self.floors = {i: row.reach_floor for i, row in live.items() if row.reach_floor is not None}
        result = self._apply(s, live, gone, read=len(live))
        self.index.set_floors({i: row.reach_floor for i, row in live.items()})
        return result

    def _sync_changed(self, s: Session, since: datetime) -> dict:
        m = self.model
        rows = list(s.execute(self._columns().where(m.changed_at >= since).order_by(m.id)))
        live = {row.id: row for row in rows if self._belongs(row)}
        gone = [row.id for row in rows if row.id in self.keys and (row.id not in live or row.embedding_key is None)]
        for row in rows:
            if row.id in live and row.reach_floor is not None:
                self.floors[row.id] = row.reach_floor
            else:
                self.floors.pop(row.id, None)
        result = self._apply(s, live, gone, read=len(rows))
        self.index.set_floors({row.id: self.floors.get(row.id) for row in rows})
        return result

    def _apply(self, s: Session, live: dict, gone: list[int], read: int) -> dict:
        changed = [i for i, row in live.items()
                   if row.embedding_key is not None and self.keys.get(i) != row.embedding_key]
        self.index.remove(gone)
        for i in gone:
            self.keys.pop(i, None)
        for start in range(0, len(changed), 1000):
            self._load_vectors(s, changed[start:start + 1000], live)
        return {"added_or_changed": len(changed), "removed": len(gone), "size": len(self.index), "read": read}

    def _columns(self):
        """The cheap columns of the rows (with `status` for vacancies: a closed one leaves)."""
        m = self.model
        if m is Vacancy:
            return select(m.id, m.country, m.embedding_key, m.reach_floor, m.remote, m.status)
        return select(m.id, m.country, m.embedding_key, m.reach_floor)

    def _belongs(self, row) -> bool:
        """Whether a row belongs in the index (open vacancies, every profile)."""
        return self.model is not Vacancy or row.status == "open"

    def _load_vectors(self, s: Session, ids: list[int], live: dict) -> None:
        m = self.model
        rows = [r for r in s.execute(select(m.id, m.embedding, m.embedding_key).where(m.id.in_(ids)).order_by(m.id))
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

    def nearest_many(self, vectors: np.ndarray, k: int, partitions: list[list[str] | None]
                     ) -> list[tuple[list[int], float]]:
        """`nearest` for each of `vectors` ((q, dim); `partitions`: each one's), in one matrix
        product per block of vectors and partition (`VectorIndex.search_many`)."""
        return [(ids.tolist(), float(scores[-1]) if len(scores) else -1.0)
                for ids, scores in self.index.search_many(vectors, k, partitions)]

    def reaching(self, vector: np.ndarray) -> tuple[list[int], list[int]]:
        """The rows whose own last job would have scored `vector`: those for which it is at
        least as near as their reach floor. Exact cosines against every row (one matrix
        product per partition, the floors kept beside the vectors: no work per row in
        Python), whatever the index uses for `nearest`.

        Returns:
            Those ranked among their nearest (a real floor), and those whose job scored every
            row in their reach (floor -1: their reach was small then), nearest first.
        """
        return self.reaching_many(np.asarray(vector, dtype=np.float32)[None, :])[0]

    def reaching_many(self, vectors: np.ndarray) -> list[tuple[list[int], list[int]]]:
        """`reaching` for each of `vectors` ((q, dim)), in one matrix product per partition."""
        out: list[tuple[list, list]] = [([], []) for _ in range(len(vectors))]
        if not self.floors:
            return out
        unbounded: list[list] = [[] for _ in range(len(vectors))]
        for qs, ids, cosines, floors in self.index.at_least(vectors):
            real = floors > -1
            for q, i in zip(qs[real].tolist(), ids[real].tolist(), strict=True):
                out[q][0].append(i)
            every = ~real
            for q, i, c in zip(qs[every].tolist(), ids[every].tolist(), cosines[every].tolist(), strict=True):
                unbounded[q].append((-c, i))
        for q, found in enumerate(unbounded):
            out[q][1].extend(i for _, i in sorted(found))
        return out


class DocCache:
    """What matching read of the rows of one side (their documents and embeddings), by id,
    as the worker's last jobs made them, at most `size` rows (the least recently used
    leave first).

    An entry serves while the row's version (`updated_at`, which every edit of its text
    moves) and its cache keys (ESCO links, embedding) are those it was made from: a job
    reads those few columns of every candidate and reads whole, parses and links only the
    others. The documents are the same either way (a test compares the rankings).
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[int, tuple[tuple, object]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, row_id: int, version: tuple):
        """The entry of `row_id` made from `version`, or None."""
        entry = self._entries.get(row_id)
        if entry is None or entry[0] != version:
            self.misses += 1
            return None
        self._entries.move_to_end(row_id)
        self.hits += 1
        return entry[1]

    def put(self, row_id: int, version: tuple, value) -> None:
        """Keep `value` for `row_id` at `version`."""
        if self.size <= 0:
            return
        self._entries[row_id] = (version, value)
        self._entries.move_to_end(row_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


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
                  if float(np.frombuffer(row.embedding, dtype=np.float32, count=dim) @ query)
                  < row.reach_floor - FLOOR_TOLERANCE)


# Reach, on plain rows or documents: a profile has country, target_countries and relocate; a
# vacancy country, remote, accepts_relocation (and status, as the other side of a profile).

def reach_partitions(kind: str, row) -> list[str] | None:
    """The partitions of the other side within a target's reach (None: all); `row` has the
    target's reach columns (a profile's country, target_countries, relocate; a vacancy's
    country, remote, accepts_relocation)."""
    if kind == PROFILE:
        targets = tuple(row.target_countries or ())
        return None if (row.relocate and not targets) else [row.country, *targets, REMOTE]
    return None if (row.remote or row.accepts_relocation) else [row.country]


def in_reach(kind: str, target, other) -> bool:
    """Whether the other side's row (a light row) is within the target's reach."""
    if kind == PROFILE:
        targets = tuple(target.target_countries or ())
        return other.status == "open" and (
            (target.relocate and not targets) or other.remote or other.country in (target.country, *targets))
    return bool(target.remote or target.accepts_relocation or other.country == target.country)


def reaches(kind: str, target, other) -> bool:
    """Whether the other side's row's own reach holds the target."""
    if kind == PROFILE:
        return other.status == "open" and bool(other.remote or other.accepts_relocation
                                               or other.country == target.country)
    return bool(target.remote or person_reaches(target.country, other.country, other.target_countries,
                                                bool(other.relocate)))
