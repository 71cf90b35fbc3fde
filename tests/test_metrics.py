import numpy as np
import pytest

from matching.metrics import ranks, summarise


def test_ranks_count_ties_against_the_relevant_item():
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.2, 0.1], [0.0, 0.3, 0.9]])
    assert ranks(scores, np.array([0, 1, 0])).tolist() == [1, 2, 3]


def test_summary_of_known_ranks():
    out = summarise(np.array([1, 2, 11]), k=10)
    assert out["MRR"] == pytest.approx((1 + 0.5 + 1 / 11) / 3)
    assert out["R@10"] == pytest.approx(2 / 3)
    assert out["nDCG@10"] == pytest.approx((1 + 1 / np.log2(3)) / 3)
