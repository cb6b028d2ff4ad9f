"""ALS for implicit feedback (Hu, Koren & Volinsky, 2008) from the ``implicit`` library (conjugate gradient)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender


class ALS(Recommender):
    """Confidence ``1 + alpha x log1p(plays)``; implicit's own threads parallelise over users and items."""

    def __init__(self, factors: int = 64, l2: float = 0.1, alpha: float = 1.0, iterations: int = 15,
                 seed: int = 0) -> None:
        self.factors, self.l2, self.alpha, self.iterations, self.seed = factors, l2, alpha, iterations, seed

    def fit(self, train: sp.csr_matrix) -> None:
        # OpenBLAS threads fight implicit's own pool (implicit warns about it): one BLAS thread while it runs
        with threadpool_limits(1, "blas"):
            self._model = AlternatingLeastSquares(factors=self.factors, regularization=self.l2, alpha=self.alpha,
                                                  iterations=self.iterations, random_state=self.seed,
                                                  num_threads=2)
            self._model.fit(train.astype(np.float32), show_progress=False)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self._model.user_factors[users] @ self._model.item_factors.T)
