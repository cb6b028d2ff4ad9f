"""A first-order Markov chain: the next track scores by how often it followed the last one played in training,
plus a small share of its overall play count (so unseen transitions fall back to popularity)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from botify_lab.recsys.models.base import FloatArray, IntArray, SequenceRecommender


class Markov(SequenceRecommender):
    def __init__(self, popularity_weight: float = 0.01) -> None:
        self.popularity_weight = popularity_weight

    def fit(self, sequences: list[IntArray], n_items: int) -> None:
        pairs = np.concatenate([np.stack([s[:-1], s[1:]]) for s in sequences if len(s) > 1], axis=1)
        self._next = sp.csr_matrix((np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(n_items, n_items))
        plays = np.bincount(np.concatenate(sequences), minlength=n_items).astype(np.float64)
        self._prior = self.popularity_weight * plays / plays.max()

    def scores(self, histories: list[IntArray]) -> FloatArray:
        out = np.tile(self._prior, (len(histories), 1))
        for row, history in enumerate(histories):
            if len(history):
                out[row] += self._next[int(history[-1])].toarray().ravel()
        return out
