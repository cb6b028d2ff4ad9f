"""BPR (Rendle et al., 2009) from the ``implicit`` library: SGD on sampled (listened, not listened) pairs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised


class BPR(Recommender):
    """One thread: implicit's multi-threaded BPR is Hogwild and would make the run depend on scheduling."""

    def __init__(self, factors: int = 64, learning_rate: float = 0.05, l2: float = 0.01, iterations: int = 100,
                 seed: int = 0) -> None:
        self.factors, self.learning_rate, self.l2 = factors, learning_rate, l2
        self.iterations, self.seed = iterations, seed

    def fit(self, train: sp.csr_matrix) -> None:
        with threadpool_limits(1, "blas"):
            self._model = BayesianPersonalizedRanking(
                factors=self.factors, learning_rate=self.learning_rate, regularization=self.l2,
                iterations=self.iterations, num_threads=1, random_state=self.seed)
            self._model.fit(binarised(train), show_progress=False)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self._model.user_factors[users] @ self._model.item_factors.T)
