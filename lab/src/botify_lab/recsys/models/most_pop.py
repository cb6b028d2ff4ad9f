"""MostPop: everyone gets the most popular items (the floor every model must clear), for the holdout split
(artists by listeners) and for the time split (tracks by plays)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, SequenceRecommender


class MostPop(Recommender):
    def fit(self, train: sp.csr_matrix) -> None:
        self._listeners = np.diff(train.tocsc().indptr).astype(np.float64)

    def scores(self, users: IntArray) -> FloatArray:
        return np.tile(self._listeners, (len(users), 1))


class SequencePop(SequenceRecommender):
    def fit(self, sequences: list[IntArray], n_items: int) -> None:
        self._plays = np.bincount(np.concatenate(sequences), minlength=n_items).astype(np.float64)

    def scores(self, histories: list[IntArray]) -> FloatArray:
        return np.tile(self._plays, (len(histories), 1))
