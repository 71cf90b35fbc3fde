"""Candidate retrieval: the nearest vectors of one side (vacancies or profiles), by country.

A worker keeps one `VectorIndex` warm for the life of its process and updates it row by
row (`upsert`, `remove`) instead of rebuilding it per job. Each country is a partition:
below `ann_threshold` rows a partition is searched exactly (one float32 matrix-vector
product and a partial sort); above it, an HNSW graph (FAISS) answers, with the exact
vectors kept for re-scoring. Deleted rows stay in the graph, masked, until a fifth of the
partition is deleted, and then the graph is rebuilt.

Scores are inner products of L2-normalised vectors (cosines).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .scoring import top_k

__all__ = ["FLOOR_TOLERANCE", "Partition", "VectorIndex"]

# The same cosine computed by two BLAS kernels (a product with one query row, or with many)
# can differ in its last bits: a row whose floor is its own k-th nearest must still count as
# reaching that row, so floors are compared with this much room.
FLOOR_TOLERANCE = 1e-5


@dataclass
class Partition:
    """One country's rows. Rows never move except when the partition is compacted (a fifth
    of it deleted): a deleted row is masked, so an HNSW graph over the rows stays valid."""

    dim: int
    ids: np.ndarray = field(default=None)        # (capacity,) int64
    vectors: np.ndarray = field(default=None)    # (capacity, dim) float32
    alive: np.ndarray = field(default=None)      # (capacity,) bool
    # A number kept with each row, compared with cosines by `VectorIndex.at_least` (the
    # reach floors of worker.candidates); +inf until set, so a row without one never counts.
    floors: np.ndarray = field(default=None)     # (capacity,) float64
    used: int = 0                                # rows in use, alive or not
    rows: dict[int, int] = field(default_factory=dict)   # live id -> row
    graph: object = None         # faiss.IndexHNSWFlat over rows [0, graph_rows)
    graph_rows: int = 0
    changed: int = 0             # graph rows whose vector changed since the build

    def __post_init__(self):
        if self.ids is None:
            self.ids = np.zeros(16, dtype=np.int64)
            self.vectors = np.zeros((16, self.dim), dtype=np.float32)
            self.alive = np.zeros(16, dtype=bool)
            self.floors = np.full(16, np.inf)

    @property
    def size(self) -> int:
        """The number of live rows."""
        return len(self.rows)

    def _grow(self, need: int) -> None:
        if need <= len(self.ids):
            return
        cap = max(need, 2 * len(self.ids))
        for name, dtype, shape in (("ids", np.int64, (cap,)), ("vectors", np.float32, (cap, self.dim)),
                                   ("alive", bool, (cap,)), ("floors", np.float64, (cap,))):
            new = np.full(shape, np.inf) if name == "floors" else np.zeros(shape, dtype=dtype)
            new[: self.used] = getattr(self, name)[: self.used]
            setattr(self, name, new)

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add rows, or replace the vectors of ids already here.

        Args:
            ids: (n,) int64 ids.
            vectors: (n, dim) float32 unit rows.
        """
        for i, v in zip(ids.tolist(), vectors, strict=True):
            row = self.rows.get(i)
            if row is None:
                self._grow(self.used + 1)
                row = self.used
                self.used += 1
                self.rows[i] = row
                self.ids[row], self.alive[row], self.floors[row] = i, True, np.inf
            elif row < self.graph_rows:
                self.changed += 1   # the graph may place it badly until the next build
            self.vectors[row] = v

    def remove(self, ids: Iterable[int]) -> None:
        """Mask rows (compacting the partition when a fifth of it is masked).

        Args:
            ids: ids to remove; unknown ones are ignored.
        """
        for i in ids:
            row = self.rows.pop(int(i), None)
            if row is not None:
                self.alive[row] = False
        if self.used - self.size > max(64, self.used // 5):
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.used])
        n = len(keep)
        self.ids[:n], self.vectors[:n], self.floors[:n] = self.ids[keep], self.vectors[keep], self.floors[keep]
        self.floors[n:] = np.inf
        self.alive[:n], self.alive[n:] = True, False
        self.used = n
        self.rows = {int(i): r for r, i in enumerate(self.ids[:n].tolist())}
        self.graph, self.graph_rows, self.changed = None, 0, 0

    def search(self, query: np.ndarray, k: int, ann_threshold: int, ef_search: int) -> tuple[np.ndarray, np.ndarray]:
        """Find the rows nearest to `query`.

        Args:
            query: (dim,) float32 unit vector.
            k: how many rows.
            ann_threshold: from this many live rows on, search an HNSW graph.
            ef_search: the graph's search breadth.

        Returns:
            (ids, cosines), best first, at most `k` of each.
        """
        if self.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.size < ann_threshold:
            scores = self.vectors[: self.used] @ query
            scores[~self.alive[: self.used]] = -np.inf
            pos = top_k(scores, self.ids[: self.used], min(k, self.size))
            return self.ids[pos], scores[pos]
        if self.graph is None or self.changed > self.used // 5 or self.graph_rows < self.used - self.used // 5:
            self._build(ef_search)
        dead = self.graph_rows - int(self.alive[: self.graph_rows].sum())
        _, found = self.graph.search(query[None, :].astype(np.float32), min(self.graph_rows, k + dead + 16))
        rows = found[0][found[0] >= 0]
        rows = np.concatenate([rows, np.arange(self.graph_rows, self.used)])   # added since the build: exact
        rows = rows[self.alive[rows]]
        scores = self.vectors[rows] @ query   # exact cosines of the candidates
        pos = top_k(scores, self.ids[rows], k)
        return self.ids[rows][pos], scores[pos]

    def _build(self, ef_search: int) -> None:
        import faiss

        graph = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 80
        graph.hnsw.efSearch = ef_search
        graph.add(np.ascontiguousarray(self.vectors[: self.used]))
        self.graph, self.graph_rows, self.changed = graph, self.used, 0


class VectorIndex:
    """Vectors by country partition, searched exactly below `ann_threshold` rows and with
    HNSW above it (`ann_threshold=0` disables HNSW)."""

    def __init__(self, dim: int, ann_threshold: int = 50_000, ef_search: int = 256):
        self.dim = dim
        self.ann_threshold = ann_threshold if ann_threshold > 0 else 2**62
        self.ef_search = ef_search
        self.partitions: dict[str, Partition] = {}
        self.where: dict[int, str] = {}   # id -> partition

    def __len__(self) -> int:
        return len(self.where)

    def upsert(self, ids: Iterable[int], partitions: Iterable[str], vectors: np.ndarray) -> None:
        """Add or replace rows (an id that moves to another partition leaves the old one).

        Args:
            ids: the rows' ids; an id given twice keeps its last vector.
            partitions: the partition (country) of each row.
            vectors: (n, dim) unit rows.
        """
        ids = np.asarray(list(ids), dtype=np.int64)
        parts = list(partitions)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        last = {i: n for n, i in enumerate(ids.tolist())}
        if len(last) < len(ids):   # an id given twice: the last one wins, as in two calls
            keep = sorted(last.values())
            ids, parts, vectors = ids[keep], [parts[n] for n in keep], vectors[keep]
        moved = [int(i) for i, p in zip(ids, parts) if self.where.get(int(i), p) != p]
        self.remove(moved)
        by_part: dict[str, list[int]] = {}
        for n, p in enumerate(parts):
            by_part.setdefault(p, []).append(n)
        for p, rows in by_part.items():
            part = self.partitions.setdefault(p, Partition(self.dim))
            part.upsert(ids[rows], vectors[rows])
            for i in ids[rows].tolist():
                self.where[i] = p

    def remove(self, ids: Iterable[int]) -> None:
        """Remove rows by id.

        Args:
            ids: ids to remove; unknown ones are ignored.
        """
        by_part: dict[str, list[int]] = {}
        for i in ids:
            p = self.where.pop(int(i), None)
            if p is not None:
                by_part.setdefault(p, []).append(int(i))
        for p, gone in by_part.items():
            self.partitions[p].remove(gone)

    def search(self, query: np.ndarray, k: int, partitions: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Find the rows nearest to `query`.

        Args:
            query: (dim,) unit vector.
            k: how many rows.
            partitions: the partitions to search (each once); None: all.

        Returns:
            (ids, cosines) of the `k` nearest rows, best first; ties go to the lower id.
        """
        # Each partition once: a person's own country may also be among the countries they would move to.
        names = list(self.partitions) if partitions is None else [p for p in dict.fromkeys(partitions)
                                                                  if p in self.partitions]
        query = np.asarray(query, dtype=np.float32)
        found = [self.partitions[p].search(query, k, self.ann_threshold, self.ef_search) for p in names]
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids = np.concatenate([f[0] for f in found])
        scores = np.concatenate([f[1] for f in found])
        pos = top_k(scores, ids, k)
        return ids[pos], scores[pos]

    def search_many(self, queries: np.ndarray, k: int, partitions: list[Iterable[str] | None],
                    block: int = 256) -> list[tuple[np.ndarray, np.ndarray]]:
        """`search` for many queries at once: the same answers (ties to the lower id), with
        one matrix product per block of queries and partition instead of one per query.

        Args:
            queries: (q, dim) unit vectors.
            k: how many rows per query.
            partitions: for each query, the partitions to search (None: all).
            block: queries per matrix product (bounds the memory: block × partition rows).

        Returns:
            For each query, (ids, cosines) of its `k` nearest rows, best first.
        """
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        found: list[list] = [[] for _ in range(len(queries))]
        groups: dict[str, list[int]] = {}
        for q, names in enumerate(partitions):
            for p in (self.partitions if names is None else dict.fromkeys(names)):
                if p in self.partitions:
                    groups.setdefault(p, []).append(q)
        for p, qs in groups.items():
            self._search_block(self.partitions[p], queries, qs, k, block, found)
        out = []
        for parts in found:
            if not parts:
                out.append((np.zeros(0, np.int64), np.zeros(0, np.float32)))
                continue
            ids = np.concatenate([f[0] for f in parts])
            scores = np.concatenate([f[1] for f in parts])
            pos = top_k(scores, ids, k)
            out.append((ids[pos], scores[pos]))
        return out

    def _search_block(self, part: Partition, queries: np.ndarray, qs: list[int], k: int, block: int,
                      found: list[list]) -> None:
        """One partition's nearest rows for the queries `qs`, appended to `found[q]`."""
        if part.size == 0:
            return
        if part.size >= self.ann_threshold:
            for q in qs:
                found[q].append(part.search(queries[q], k, self.ann_threshold, self.ef_search))
            return
        ids, dead, n = part.ids[: part.used], ~part.alive[: part.used], min(k, part.size)
        for start in range(0, len(qs), block):
            rows = qs[start:start + block]
            scores = queries[rows] @ part.vectors[: part.used].T
            scores[:, dead] = -np.inf
            for q, row in zip(rows, scores, strict=True):
                pos = top_k(row, ids, n)
                found[q].append((ids[pos], row[pos]))

    def set_floors(self, floors: dict[int, float | None]) -> None:
        """Keep a number with each of these rows (None: none, +inf); unknown ids are ignored.

        Args:
            floors: id -> the number (`at_least` compares cosines with it).
        """
        for i, value in floors.items():
            p = self.where.get(int(i))
            if p is not None:
                part = self.partitions[p]
                part.floors[part.rows[int(i)]] = np.inf if value is None else value

    def at_least(self, queries: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """For each partition, the rows whose cosine with each query is at least their floor
        (less `FLOOR_TOLERANCE`).

        Exact (one matrix product per partition, whatever `search` uses), vectorised: no
        Python work per row.

        Args:
            queries: (q, dim) unit vectors.

        Returns:
            Per partition with such rows: (query positions, ids, cosines, floors), one entry
            per (query, row) pair found.
        """
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        out = []
        for part in self.partitions.values():
            used = part.used
            if not used:
                continue
            floors = np.where(part.alive[:used], part.floors[:used], np.inf)
            if np.isinf(floors).all():
                continue
            for start in range(0, len(queries), 256):   # at most 256 x rows cosines at a time
                cosines = queries[start:start + 256] @ part.vectors[:used].T
                qs, rows = np.nonzero(cosines >= floors[None, :] - FLOOR_TOLERANCE)
                if len(rows):
                    out.append((qs + start, part.ids[rows], cosines[qs, rows], floors[rows]))
        return out

    def memory_bytes(self) -> int:
        """Count the bytes held by the vectors and ids.

        Returns:
            The bytes of the partitions' arrays (the HNSW graphs come on top).
        """
        return sum(p.vectors.nbytes + p.ids.nbytes + p.alive.nbytes for p in self.partitions.values())
