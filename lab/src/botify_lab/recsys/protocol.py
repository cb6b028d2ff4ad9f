"""The holdout protocol: rank every item a user has not seen in training, score the top ``k`` against the held-out
items, and average over the users who have any.

>>> from botify_lab.recsys.models.most_pop import MostPop
>>> train = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0]], dtype=np.float32))
>>> test = sp.csr_matrix(np.array([[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32))
>>> model = MostPop()
>>> model.fit(train)
>>> scores = evaluate(model, Split(train, test), k=1)
>>> round(scores.recall_at_10, 4), round(scores.coverage, 2)   # users 0 and 1 get their held-out item
(0.6667, 0.75)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from botify_lab.recsys import metrics
from botify_lab.recsys.models.base import Recommender
from botify_lab.recsys.splits import Split

K = 10


@dataclass(frozen=True)
class Quality:
    """Averages over the evaluated users (field names say @10; ``k`` is 10 unless a test asks otherwise)."""

    recall_at_10: float
    ndcg_at_10: float
    map_at_10: float
    coverage: float
    novelty: float
    users: int

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


def item_popularity(train: sp.csr_matrix) -> NDArray[np.float64]:
    """Share of users with each item in training, add-one smoothed so unseen items have finite novelty."""
    listeners = np.diff(train.tocsc().indptr)
    share: NDArray[np.float64] = (listeners + 1.0) / (train.shape[0] + 1.0)
    return share


def quality(recommended: NDArray[np.int64], hits: NDArray[np.bool_], n_relevant: NDArray[np.int64],
            n_items: int, popularity: NDArray[np.float64]) -> Quality:
    """Every metric from the lists, their hits and the users' numbers of relevant items."""
    return Quality(float(metrics.recall_at_k(hits, n_relevant).mean()),
                   float(metrics.ndcg_at_k(hits, n_relevant).mean()),
                   float(metrics.map_at_k(hits, n_relevant).mean()),
                   metrics.coverage(recommended, n_items), metrics.novelty(recommended, popularity),
                   len(recommended))


def evaluate(model: Recommender, split: Split, k: int = K, batch: int = 512) -> Quality:
    """``model`` must already be fitted on ``split.train`` (or on a superset of its users' rows)."""
    users = split.test_users
    if not len(users):
        raise ValueError("the split holds out nothing: no user to evaluate")
    lists, hit_rows = [], []
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        top = model.recommend(chunk, k, split.train[chunk])
        relevant = split.test[chunk]
        lists.append(top)
        hit_rows.append(np.asarray(relevant[np.arange(len(chunk))[:, None], top].todense()) > 0)
    recommended = np.concatenate(lists)
    n_relevant = np.diff(split.test.indptr)[users].astype(np.int64)
    return quality(recommended, np.concatenate(hit_rows), n_relevant, split.train.shape[1],
                   item_popularity(split.train))
