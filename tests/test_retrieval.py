"""The warm vector index: exact and HNSW search by country partition, incremental updates."""
from __future__ import annotations

import numpy as np
import pytest

from matching.retrieval import FLOOR_TOLERANCE, VectorIndex


def _unit(rng, n, d=32):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _exact(vectors, ids, q, k):
    scores = vectors @ q
    order = np.lexsort((ids, -scores))[:k]
    return ids[order]


def test_exact_search_by_partition_with_updates_and_removals():
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 300)
    ids = np.arange(1, 301)
    parts = ["CO" if i % 3 else "PE" for i in ids]
    index = VectorIndex(32, ann_threshold=0)
    index.upsert(ids, parts, vecs)
    q = vecs[10]
    got, scores = index.search(q, 5, ["CO"])
    co = np.array([p == "CO" for p in parts])
    assert list(got) == list(_exact(vecs[co], ids[co], q, 5))
    assert scores[0] == pytest.approx(1.0, abs=1e-5)   # itself
    index.remove([int(got[0])])
    again, _ = index.search(q, 5, ["CO"])
    assert int(got[0]) not in again and len(index) == 299
    index.upsert([int(got[0])], ["PE"], q[None, :])   # it comes back, in another country
    assert index.search(q, 1, ["PE"])[0][0] == got[0]
    assert int(got[0]) not in index.search(q, 5, ["CO"])[0]
    assert set(index.search(q, 400)[0]) == set(range(1, 301))   # all partitions, every live row once


def test_hnsw_partitions_find_what_exact_search_finds_and_stay_right_after_changes():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(2)
    vecs = _unit(rng, 3000, 64)
    ids = np.arange(3000)
    index = VectorIndex(64, ann_threshold=1000, ef_search=128)
    index.upsert(ids, ["CO"] * 3000, vecs)
    queries = _unit(rng, 30, 64)
    recall = np.mean([len(set(index.search(q, 50)[0]) & set(_exact(vecs, ids, q, 50))) / 50 for q in queries])
    assert recall >= 0.95
    assert index.partitions["CO"].graph is not None
    # Removed rows never come back; rows added after the build are found.
    top = int(index.search(queries[0], 1)[0][0])
    index.remove([top])
    assert top not in index.search(queries[0], 50)[0]
    index.upsert([99999], ["CO"], queries[0][None, :])
    assert index.search(queries[0], 1)[0][0] == 99999
    # Many removals compact the partition; search stays right.
    index.remove(range(2000))
    rest = np.arange(2000, 3000)
    got = index.search(queries[1], 10)[0]
    assert set(got) <= set(rest) | {99999}


def _brute_at_least(vectors, ids, floors, queries):
    """(query, id) pairs whose cosine is at least the row's floor, computed row by row."""
    return {(q, int(i)) for q, query in enumerate(queries) for v, i in zip(vectors, ids, strict=True)
            if floors.get(int(i)) is not None and float(v @ query) >= floors[int(i)] - FLOOR_TOLERANCE}


def _found(index, queries) -> set:
    return {(q, int(i)) for qs, got, _, _ in index.at_least(queries) for q, i in zip(qs, got, strict=True)}


def test_floors_stay_with_their_rows_through_moves_removals_and_compaction():
    rng = np.random.default_rng(3)
    vecs = _unit(rng, 400)
    ids = np.arange(1, 401)
    index = VectorIndex(32, ann_threshold=0)
    index.upsert(ids, ["CO" if i % 2 else "PE" for i in ids], vecs)
    floors = {int(i): float(rng.uniform(-0.2, 0.4)) for i in ids if i % 5}   # every fifth row: no floor
    floors[7] = -1.0                                                        # scored everything in its reach
    index.set_floors(floors)
    queries = vecs[[0, 50, 99]]
    found = _found(index, queries)
    assert found == _brute_at_least(vecs, ids, floors, queries)
    assert (0, 7) in found and not any(i % 5 == 0 for _, i in found)
    # A row that moves keeps no stale floor until it is given one; removals compact the partition.
    index.upsert([8], ["CO"], vecs[7:8])
    del floors[8]
    gone = {int(i) for i in ids if i % 2 == 0 and i > 100}
    index.remove(sorted(gone))   # well over a fifth of PE: its rows move
    floors = {i: f for i, f in floors.items() if i not in gone}
    live = np.array([int(i) not in gone for i in ids])
    vectors = vecs[live].copy()
    vectors[np.flatnonzero(ids[live] == 8)[0]] = vecs[7]
    assert _found(index, queries) == _brute_at_least(vectors, ids[live], floors, queries)
    index.set_floors({8: 0.0, 9: None})
    floors[8] = 0.0
    floors.pop(9, None)
    assert _found(index, queries) == _brute_at_least(vectors, ids[live], floors, queries)


def test_search_many_answers_as_search_does_query_by_query():
    rng = np.random.default_rng(4)
    vecs = _unit(rng, 900)
    vecs[5] = vecs[6]   # a tie: the lower id first, in both
    ids = np.arange(1, 901)
    index = VectorIndex(32, ann_threshold=0)
    index.upsert(ids, [("CO", "PE", "EC")[i % 3] for i in ids], vecs)
    index.remove([10, 11, 12])
    queries = np.concatenate([vecs[:40], vecs[5:6]])
    partitions = [None, ["CO"], ["PE", "EC", "PE"], ["XX"], ["EC", "XX"]] * 8 + [None]
    many = index.search_many(queries, 7, partitions, block=16)
    for q, (query, names) in enumerate(zip(queries, partitions, strict=True)):
        got, scores = index.search(query, 7, names)
        assert many[q][0].tolist() == got.tolist() and np.allclose(many[q][1], scores)
