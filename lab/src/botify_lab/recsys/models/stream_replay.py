"""What the two per-event models share in the lab: ``fit`` replays the training pairs as a stream, ``epochs``
times in a fresh random order (HetRec has no play times to order them by), and ``partial_fit`` continues it."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from botify_lab.recsys.models.base import FloatArray, IncrementalRecommender, IntArray


def shuffled_events(train: sp.csr_matrix, rng: np.random.Generator) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (user, item, confidence) of ``train`` once, in a random order: one pass of a simulated stream."""
    coo = train.tocoo()
    order = rng.permutation(coo.nnz)
    return coo.row[order].astype(np.int64), coo.col[order].astype(np.int64), coo.data[order].astype(np.float64)


class StreamReplay(IncrementalRecommender):
    """A per-event model with ``factors`` latent dimensions, trained by SGD with ``negatives`` sampled items per
    listen; subclasses say how one batch of events is learned and how item vectors are read out."""

    def __init__(self, factors: int = 32, learning_rate: float = 0.05, l2: float = 0.01, negatives: int = 4,
                 epochs: int = 3, seed: int = 0) -> None:
        self.factors, self.learning_rate, self.l2 = factors, learning_rate, l2
        self.negatives, self.epochs, self.seed = negatives, epochs, seed

    @abstractmethod
    def _start(self) -> None:
        """Make a fresh, untrained model."""

    @abstractmethod
    def _learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        """Learn from these events, one at a time."""

    @abstractmethod
    def _read_items(self) -> FloatArray:
        """The items x dimensions matrix the model holds now (zeros for items it never saw)."""

    def fit(self, train: sp.csr_matrix) -> None:
        self._n_items = int(train.shape[1])
        self._rng = np.random.default_rng(self.seed)
        self._item_matrix: FloatArray | None = None
        self._start()
        for _ in tqdm(range(self.epochs), desc=f"{type(self).__name__} passes", leave=False):
            self.partial_fit(*shuffled_events(train, self._rng))

    def partial_fit(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        self._learn(users, items, weights)
        self._item_matrix = None

    def _items(self) -> FloatArray:
        """The item matrix, read once after each batch of events (scoring many users reuses it)."""
        if self._item_matrix is None:
            self._item_matrix = self._read_items()
        return self._item_matrix
