"""ItemKNN: an item scores by its shrunk cosine similarity to the user's items, over its nearest neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised


class ItemKNN(Recommender):
    """``similarity(i, j) = x_i . x_j / (|x_i| |x_j| + shrink)``, keeping each item's ``neighbours`` closest."""

    def __init__(self, neighbours: int = 100, shrink: float = 10.0, binary: bool = True) -> None:
        self.neighbours, self.shrink, self.binary = neighbours, shrink, binary

    def fit(self, train: sp.csr_matrix) -> None:
        self._train = binarised(train) if self.binary else train.astype(np.float32)
        gram = (self._train.T @ self._train).toarray()
        norms = np.sqrt(np.diag(gram))
        similarity = gram / (np.outer(norms, norms) + self.shrink)
        np.fill_diagonal(similarity, 0.0)
        k = min(self.neighbours, similarity.shape[0] - 1)
        # keep, per target item (column), its k most similar source items
        weakest = np.argpartition(-similarity, k, axis=0)[k:]
        np.put_along_axis(similarity, weakest, 0.0, axis=0)
        self._similarity = sp.csr_matrix(similarity.astype(np.float32))

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray((self._train[users] @ self._similarity).todense())
