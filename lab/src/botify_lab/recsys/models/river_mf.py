"""River's FunkMF, fed one event at a time: the off-the-shelf streaming baseline.

River regresses a target per (user, item) pair and has no notion of implicit feedback, so every listen is fed as
``y = 1`` followed by ``negatives`` uniformly sampled items as ``y = 0``.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from river import optim, reco

from botify_lab.recsys.models.base import FloatArray, IntArray
from botify_lab.recsys.models.stream_replay import StreamReplay


class RiverMF(StreamReplay):
    def _start(self) -> None:
        self._model = reco.FunkMF(n_factors=self.factors, optimizer=optim.SGD(self.learning_rate), l2=self.l2,
                                  initializer=optim.initializers.Normal(mu=0.0, sigma=0.1, seed=self.seed),
                                  seed=self.seed)

    def _learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        negatives = self._rng.integers(0, self._n_items, size=(len(users), self.negatives))
        for user, item, sampled in zip(users.tolist(), items.tolist(), negatives.tolist(), strict=True):
            self._model.learn_one(user, item, 1.0)  # type: ignore[no-untyped-call]
            for negative in sampled:
                self._model.learn_one(user, negative, 0.0)  # type: ignore[no-untyped-call]

    def _read_items(self) -> FloatArray:
        matrix = np.zeros((self._n_items, self.factors))
        for item, vector in self._model.i_latents.items():
            matrix[cast(int, item)] = vector
        return matrix

    def scores(self, users: IntArray) -> FloatArray:
        latents = self._model.u_latents
        known = np.array([latents[u] if u in latents else np.zeros(self.factors) for u in users.tolist()])
        scores: FloatArray = known @ self._items().T
        return scores
