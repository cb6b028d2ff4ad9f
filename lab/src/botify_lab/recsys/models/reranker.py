"""A stacked reranker: EASE, RP3beta and ALS propose candidates, gradient-boosted trees re-order them.

``fit`` holds out a share of every user's training artists (its own seeded split, inside whatever it is given),
fits the three base models on the rest, and trains the trees to tell which candidates were held out, from
features that survive a change of training size: each base model's per-user standardised score and rank, the
artist's popularity and mean confidence, the user's number of artists and total confidence, and the share of the
user's artists in the candidate's genre. Then it refits the base models on everything it was given. Artists past
the ``candidates`` keep EASE's order below the reranked ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised, top_k
from botify_lab.recsys.models.ease import EASE
from botify_lab.recsys.models.implicit_als import ALS
from botify_lab.recsys.models.rp3beta import RP3beta
from botify_lab.recsys.splits import holdout


def _standardised(scores: FloatArray, seen: NDArray[np.bool_]) -> FloatArray:
    unseen = np.where(seen, np.nan, scores)
    standardised: FloatArray = np.nan_to_num((scores - np.nanmean(unseen, axis=1, keepdims=True))
                                             / (np.nanstd(unseen, axis=1, keepdims=True) + 1e-9))
    return standardised


def _ranks(scores: FloatArray, seen: NDArray[np.bool_]) -> FloatArray:
    order = np.argsort(-np.where(seen, -np.inf, scores), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :].repeat(len(scores), 0), axis=1)
    return ranks.astype(np.float64)


class Reranker(Recommender):
    def __init__(self, item_genres: IntArray, candidates: int = 50, holdout: float = 0.2, trees: int = 300,
                 learning_rate: float = 0.05, ease_l2: float = 3000.0, seed: int = 0) -> None:
        self.genres = np.asarray(item_genres, dtype=np.int64)
        self.candidates, self.holdout, self.trees, self.learning_rate = candidates, holdout, trees, learning_rate
        self.ease_l2, self.seed = ease_l2, seed

    def _fit_bases(self, train: sp.csr_matrix) -> list[Recommender]:
        bases: list[Recommender] = [EASE(l2=self.ease_l2), RP3beta(alpha=0.6, beta=0.4),
                                    ALS(factors=64, l2=0.1, alpha=1.0, seed=self.seed)]
        for base in bases:
            base.fit(train)
        return bases

    def _features(self, bases: list[Recommender], train: sp.csr_matrix,
                  users: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Candidates (users x C), their features (users*C x F) and EASE's scores (users x items)."""
        seen = np.asarray(train[users].todense()) > 0
        scores = [base.scores(users) for base in bases]
        ranks = [_ranks(s, seen) for s in scores]
        candidates = top_k(-np.minimum(ranks[0], ranks[1]), self.candidates, train[users])
        binary = binarised(train)
        listeners = np.asarray(binary.sum(axis=0)).ravel()
        mean_confidence = np.asarray(train.sum(axis=0)).ravel() / np.maximum(listeners, 1.0)
        genre_share = (binary[users] @ sp.csr_matrix(np.eye(self.genres.max() + 1)[self.genres])).toarray()
        genre_share /= np.maximum(genre_share.sum(axis=1, keepdims=True), 1.0)
        rows = np.arange(len(users))[:, None].repeat(candidates.shape[1], axis=1)
        n_items = np.asarray(binary[users].sum(axis=1)).ravel()[rows]
        total = np.asarray(train[users].sum(axis=1)).ravel()[rows]
        columns = [_standardised(s, seen)[rows, candidates] for s in scores]
        columns += [r[rows, candidates] for r in ranks]
        columns += [np.log1p(listeners[candidates]), mean_confidence[candidates], n_items, total,
                    genre_share[rows, self.genres[candidates]]]
        return candidates, np.stack(columns, axis=-1).reshape(-1, len(columns)), scores[0]

    def fit(self, train: sp.csr_matrix) -> None:
        inner = holdout(train, self.holdout, self.seed)
        users = inner.test_users
        candidates, features, _ = self._features(self._fit_bases(inner.train), inner.train, users)
        labels = np.asarray(inner.test[users[:, None], candidates].todense()).ravel() > 0
        self._trees = HistGradientBoostingClassifier(max_iter=self.trees, learning_rate=self.learning_rate,
                                                     random_state=self.seed).fit(features, labels)
        self._train = train
        self._bases = self._fit_bases(train)

    def scores(self, users: IntArray) -> FloatArray:
        candidates, features, ease = self._features(self._bases, self._train, users)
        probability = self._trees.predict_proba(features)[:, 1].reshape(candidates.shape)
        # below every candidate (probabilities are in [0, 1]), the rest in EASE's order
        out: FloatArray = -1.0 - _ranks(ease, np.zeros_like(ease, dtype=bool)) / ease.shape[1]
        np.put_along_axis(out, candidates, probability, axis=1)
        return out
