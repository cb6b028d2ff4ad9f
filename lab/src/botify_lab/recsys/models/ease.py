"""EASE (Steck, 2019): a linear item-item autoencoder with a zero diagonal, solved in closed form.

``B = I - P diag(1 / diag(P))`` with ``P = (X^T X + l2 I)^-1``: one items x items inverse, so time grows with
the cube of the catalog and memory with its square, whatever the number of users.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised


def ease_weights(train: sp.csr_matrix, l2: float, extra_diagonal: FloatArray | None = None) -> FloatArray:
    """The items x items weight matrix; ``extra_diagonal`` adds a per-item penalty on top of ``l2``."""
    gram = (train.T @ train).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2 + (0.0 if extra_diagonal is None else extra_diagonal)
    inverse = np.linalg.inv(gram)
    weights: FloatArray = (-inverse / np.diag(inverse)).astype(np.float32)
    np.fill_diagonal(weights, 0.0)
    return weights


class EASE(Recommender):
    def __init__(self, l2: float = 500.0, binary: bool = False) -> None:
        self.l2, self.binary = l2, binary

    def fit(self, train: sp.csr_matrix) -> None:
        self._train = binarised(train) if self.binary else train.astype(np.float32)
        self._weights = ease_weights(self._train, self.l2)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self._train[users] @ self._weights)
