"""The one interface every recommender in the comparison implements, and the top-k selection they share.

A model is fitted on a users x items confidence matrix and asked for the ``k`` best items for some of its users,
leaving out what each already has (``exclude``, one row per asked user). Incremental models also learn from new
(user, item, confidence) events without a refit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]


def top_k(scores: FloatArray, k: int, exclude: sp.csr_matrix | None = None) -> IntArray:
    """Per row, the columns of the ``k`` highest scores, best first, never a column ``exclude`` marks."""
    scores = np.array(scores, dtype=np.float64)
    if exclude is not None:
        if exclude.shape != scores.shape:
            raise ValueError(f"exclude must match the scores' shape {scores.shape}, got {exclude.shape}")
        rows = np.repeat(np.arange(exclude.shape[0]), np.diff(exclude.indptr))
        scores[rows, exclude.indices] = -np.inf
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64)


class Recommender(ABC):
    """Fit on a confidence matrix, then score or recommend for users given by row number."""

    @abstractmethod
    def fit(self, train: sp.csr_matrix) -> None:
        """Learn from ``train`` (users x items, confidence > 0 where the user listened)."""

    @abstractmethod
    def scores(self, users: IntArray) -> FloatArray:
        """A dense len(users) x items array; higher is better."""

    def recommend(self, users: IntArray, k: int, exclude: sp.csr_matrix | None = None) -> IntArray:
        """The ``k`` best items per user, best first, never one marked in ``exclude`` (rows = ``users``)."""
        return top_k(self.scores(users), k, exclude)


class IncrementalRecommender(Recommender):
    """A recommender that also learns from single events after (or instead of) a fit."""

    @abstractmethod
    def partial_fit(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        """Learn from these events, one at a time, in the order given."""


def binarised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """1 wherever the user listened."""
    out = matrix.copy().astype(np.float32)
    out.data[:] = 1.0
    return out



class SequenceRecommender(ABC):
    """Fit on users' play sequences (item ids, oldest first), then rank the catalog given a history."""

    @abstractmethod
    def fit(self, sequences: list[IntArray], n_items: int) -> None:
        """Learn from the sequences over a catalog of ``n_items`` items."""

    @abstractmethod
    def scores(self, histories: list[IntArray]) -> FloatArray:
        """A dense len(histories) x items array; a history may be empty."""

    def recommend(self, histories: list[IntArray], k: int) -> IntArray:
        """The ``k`` best next items per history (repeats allowed: people replay music)."""
        return top_k(self.scores(histories), k)
