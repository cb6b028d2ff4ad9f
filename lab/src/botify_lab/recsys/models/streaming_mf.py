"""The project's own streaming MF (:mod:`botify_models.streaming_mf`) behind the lab's interface: one
``learn_one`` per (user, artist) pair, with its log1p(plays) confidence as the weight."""

from __future__ import annotations

import numpy as np

from botify_lab.recsys.models.base import FloatArray, IntArray
from botify_lab.recsys.models.stream_replay import StreamReplay
from botify_models.streaming_mf import StreamingMF


class StreamingMFModel(StreamReplay):
    def _start(self) -> None:
        self.model = StreamingMF(n_factors=self.factors, learning_rate=self.learning_rate, l2=self.l2,
                                 n_negatives=self.negatives, seed=self.seed)

    def _learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        for user, item, weight in zip(users.tolist(), items.tolist(), weights.tolist(), strict=True):
            self.model.learn_one(user, item, weight)

    def _read_items(self) -> FloatArray:
        matrix = np.zeros((self._n_items, self.model.config.dim))
        matrix[np.asarray(self.model.item_ids, dtype=np.int64)] = self.model.item_vectors
        return matrix

    def scores(self, users: IntArray) -> FloatArray:
        vectors = np.stack([self.model.user_vector(u) for u in users.tolist()])
        scores: FloatArray = vectors @ self._items().T
        return scores
