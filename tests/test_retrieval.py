"""The warm vector index: exact and HNSW search by country partition, incremental updates."""
from __future__ import annotations

import numpy as np
import pytest

from matching.retrieval import VectorIndex


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
