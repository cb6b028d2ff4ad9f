"""Per-user holdout splits with fixed seeds: each user's items are shuffled and a fraction held out.

>>> m = sp.csr_matrix(np.ones((2, 10), dtype=np.float32))
>>> split = holdout(m, fraction=0.2, seed=0)
>>> split.train.nnz, split.test.nnz, split.train.multiply(split.test).nnz
(16, 4, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Split:
    """``train`` keeps the confidences the models learn from; ``test`` marks the held-out items with 1."""

    train: sp.csr_matrix
    test: sp.csr_matrix

    @property
    def test_users(self) -> np.ndarray:
        """Users with at least one held-out item (the ones evaluated)."""
        return np.flatnonzero(np.diff(self.test.indptr) > 0)


def holdout(matrix: sp.csr_matrix, fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out ``round(fraction x n)`` of each user's ``n`` items (at least one when ``n >= 2``, none else)."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    coo = matrix.tocoo()
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(coo.nnz), coo.row))
    rows, cols, vals = coo.row[order], coo.col[order], coo.data[order]
    counts = np.bincount(rows, minlength=matrix.shape[0])
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(len(rows)) - starts
    n_test = np.where(counts >= 2, np.maximum(1, np.round(fraction * counts)), 0).astype(np.int64)
    held = position < np.repeat(n_test, counts)
    train = sp.csr_matrix((vals[~held], (rows[~held], cols[~held])), shape=matrix.shape)
    test = sp.csr_matrix((np.ones(int(held.sum()), dtype=np.float32), (rows[held], cols[held])),
                         shape=matrix.shape)
    return Split(train, test)


def subsample_users(matrix: sp.csr_matrix, fraction: float, seed: int = 0) -> sp.csr_matrix:
    """A seeded ``fraction`` of the rows (users), all their items kept: the scaling experiment's smaller data."""
    n = matrix.shape[0]
    keep = np.sort(np.random.default_rng(seed).choice(n, max(1, round(fraction * n)), replace=False))
    return matrix[keep]


TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.2


def protocol_splits(matrix: sp.csr_matrix, seed: int) -> tuple[Split, Split]:
    """``(validation, test)``: the test split holds out 20% of each user's items (seed ``seed``); the validation
    split holds out 20% of what is left (seed ``seed + 1``) and is all that tuning ever sees."""
    test = holdout(matrix, TEST_FRACTION, seed)
    return holdout(test.train, VALIDATION_FRACTION, seed + 1), test
