"""Top-k ranking metrics, as pure functions of who got what and what they held out.

Per-user metrics take ``hits``, a users x k boolean array (``hits[u, r]``: the item at rank ``r`` of user ``u``'s
list is relevant), and ``n_relevant``, how many relevant items each user has; they return one value per user
(average them for the report). Lists shorter than ``k`` are padded with ``False``.

* ``recall@k = hits in the top k / n_relevant``
* ``ndcg@k = sum over hits of 1 / log2(rank + 1)``, divided by the same for a perfect list of
  ``min(k, n_relevant)`` hits (binary relevance, ranks from 1)
* ``map@k = sum over hits of precision@rank / min(k, n_relevant)``

>>> hits = hit_matrix(np.array([[1, 2, 3, 4]]), [{2, 4, 9}])
>>> hits.tolist()
[[False, True, False, True]]
>>> float(recall_at_k(hits, np.array([3]))[0])
0.6666666666666666
>>> round(float(map_at_k(hits, np.array([3]))[0]), 4)   # (1/2 + 2/4) / 3
0.3333
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


def hit_matrix(recommended: NDArray[np.int64], relevant: Sequence[set[int]]) -> BoolArray:
    """``recommended``: users x k item ids (best first); ``relevant``: each user's held-out items."""
    if len(recommended) != len(relevant):
        raise ValueError(f"one relevant set per user: {len(recommended)} lists but {len(relevant)} sets")
    return np.array([[int(i) in rel for i in row] for row, rel in zip(recommended, relevant, strict=True)],
                    dtype=bool).reshape(recommended.shape)


def _check(hits: BoolArray, n_relevant: NDArray[np.int64]) -> None:
    if hits.ndim != 2 or len(hits) != len(n_relevant):
        raise ValueError(f"hits must be users x k and n_relevant one count per user, got {hits.shape} and "
                         f"{np.shape(n_relevant)}")
    if (n_relevant < hits.sum(axis=1)).any() or (n_relevant < 1).any():
        raise ValueError("every user needs n_relevant >= 1 and at least as many relevant items as hits")


def recall_at_k(hits: BoolArray, n_relevant: NDArray[np.int64]) -> FloatArray:
    _check(hits, n_relevant)
    recall: FloatArray = hits.sum(axis=1) / n_relevant
    return recall


def ndcg_at_k(hits: BoolArray, n_relevant: NDArray[np.int64]) -> FloatArray:
    _check(hits, n_relevant)
    discount = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    ideal = np.cumsum(discount)[np.minimum(n_relevant, hits.shape[1]) - 1]
    ndcg: FloatArray = (hits * discount).sum(axis=1) / ideal
    return ndcg


def map_at_k(hits: BoolArray, n_relevant: NDArray[np.int64]) -> FloatArray:
    _check(hits, n_relevant)
    precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    average_precision: FloatArray = (precision * hits).sum(axis=1) / np.minimum(n_relevant, hits.shape[1])
    return average_precision


def coverage(recommended: NDArray[np.int64], n_items: int) -> float:
    """Share of the catalog's ``n_items`` that appear in at least one list."""
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    return len(np.unique(recommended)) / n_items


def novelty(recommended: NDArray[np.int64], popularity: FloatArray) -> float:
    """Mean self-information ``-log2 p(i)`` of the recommended items, where ``popularity[i]`` is the share of
    users who had item ``i`` in training (smoothed by the caller so that it is never 0)."""
    if (popularity <= 0).any() or (popularity > 1).any():
        raise ValueError("popularity must be a share of users in (0, 1]")
    return float(np.mean(-np.log2(popularity[recommended])))
