"""The ranking metrics against hand-computed cases, and the invariants any ranking metric must keep."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from botify_lab.recsys.metrics import coverage, hit_matrix, map_at_k, ndcg_at_k, novelty, recall_at_k


def _one(hits: list[bool], n_relevant: int) -> tuple[float, float, float]:
    h, n = np.array([hits]), np.array([n_relevant])
    return float(recall_at_k(h, n)[0]), float(ndcg_at_k(h, n)[0]), float(map_at_k(h, n)[0])


def test_hand_computed_list_with_two_hits_of_three() -> None:
    # recommended [1, 2, 3, 4], relevant {2, 4, 9}: hits at ranks 2 and 4
    hits = hit_matrix(np.array([[1, 2, 3, 4]]), [{2, 4, 9}])
    assert hits.tolist() == [[False, True, False, True]]
    recall, ndcg, ap = _one(hits[0].tolist(), 3)
    assert recall == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg == pytest.approx(dcg / ideal)
    assert ap == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_hand_computed_more_relevant_than_k() -> None:
    # k = 2, five relevant, a hit at rank 1 only: ideal DCG and MAP's denominator stop at k
    recall, ndcg, ap = _one([True, False], 5)
    assert recall == pytest.approx(1 / 5)
    assert ndcg == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ap == pytest.approx(1 / 2)


def test_single_relevant_item_gives_hit_rate_and_reciprocal_rank() -> None:
    recall, ndcg, ap = _one([False, False, True, False], 1)
    assert recall == 1.0
    assert ap == pytest.approx(1 / 3)
    assert ndcg == pytest.approx(1 / math.log2(4))


def test_no_hit_scores_zero_and_perfect_list_scores_one() -> None:
    assert _one([False] * 10, 4) == (0.0, 0.0, 0.0)
    assert _one([True] * 4 + [False] * 6, 4) == pytest.approx((1.0, 1.0, 1.0))


def test_coverage_and_novelty_by_hand() -> None:
    recommended = np.array([[0, 1], [1, 2]])
    assert coverage(recommended, n_items=6) == pytest.approx(3 / 6)
    popularity = np.array([0.5, 0.25, 0.125, 1.0])
    # items 0, 1, 1, 2 -> 1, 2, 2, 3 bits
    assert novelty(recommended, popularity) == pytest.approx(2.0)


def test_invalid_inputs_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="n_relevant"):
        recall_at_k(np.array([[True, True]]), np.array([1]))
    with pytest.raises(ValueError, match="one relevant set per user"):
        hit_matrix(np.array([[1, 2]]), [])
    with pytest.raises(ValueError, match="popularity"):
        novelty(np.array([[0]]), np.array([0.0]))


rankings = st.lists(st.booleans(), min_size=1, max_size=20).flatmap(
    lambda hits: st.tuples(st.just(hits), st.integers(min_value=max(1, sum(hits)), max_value=40)))


@given(rankings)
def test_metrics_lie_between_zero_and_one(case: tuple[list[bool], int]) -> None:
    hits, n_relevant = case
    for value in _one(hits, n_relevant):
        assert 0.0 <= value <= 1.0 + 1e-12


@given(rankings, st.data())
def test_moving_a_hit_up_never_lowers_ndcg_or_map(case: tuple[list[bool], int], data: st.DataObject) -> None:
    hits, n_relevant = case
    pairs = [(i, j) for j in range(len(hits)) for i in range(j) if hits[j] and not hits[i]]
    assume(pairs)
    i, j = data.draw(st.sampled_from(pairs))
    better = list(hits)
    better[i], better[j] = True, False
    _, ndcg, ap = _one(hits, n_relevant)
    recall_up, ndcg_up, ap_up = _one(better, n_relevant)
    assert ndcg_up > ndcg and ap_up > ap
    assert recall_up == pytest.approx(_one(hits, n_relevant)[0])  # recall ignores order


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=20))
def test_hits_that_all_come_first_score_one(n_hits: int, n_misses: int) -> None:
    _, ndcg, ap = _one([True] * n_hits + [False] * n_misses, n_hits)
    assert ndcg == pytest.approx(1.0) and ap == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["botify_lab.recsys.metrics", "botify_lab.recsys.splits",
                                  "botify_lab.recsys.protocol", "botify_lab.recsys.source_lines"])
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
