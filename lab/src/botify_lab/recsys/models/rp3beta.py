"""RP3beta (Paudel et al., 2017): three-step random walk user -> item -> user -> item, with transition
probabilities raised to ``alpha`` and each destination divided by its popularity to the power ``beta``."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised


def rp3_weights(train: sp.csr_matrix, alpha: float, beta: float) -> FloatArray:
    """The items x items walk probabilities, popularity-damped, with a zero diagonal."""
    binary = binarised(train)
    user_degree = np.maximum(np.asarray(binary.sum(axis=1)).ravel(), 1.0)
    item_degree = np.maximum(np.asarray(binary.sum(axis=0)).ravel(), 1.0)
    user_to_item = sp.diags(1.0 / user_degree) @ binary
    item_to_user = sp.diags(1.0 / item_degree) @ binary.T.tocsr()
    walk = (item_to_user.power(alpha) @ user_to_item.power(alpha)).toarray()
    walk /= np.power(item_degree, beta)[None, :]
    np.fill_diagonal(walk, 0.0)
    weights: FloatArray = walk.astype(np.float32)
    return weights


class RP3beta(Recommender):
    def __init__(self, alpha: float = 0.8, beta: float = 0.4) -> None:
        self.alpha, self.beta = alpha, beta

    def fit(self, train: sp.csr_matrix) -> None:
        self._train = binarised(train)
        self._weights = rp3_weights(train, self.alpha, self.beta)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self._train[users] @ self._weights)
